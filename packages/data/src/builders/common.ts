import { DatasetWriter, type DatasetWriterOptions } from '../format/writer.js';
import type { ClipRecord, DatasetIndex } from '../format/schema.js';

/** Options every builder shares. */
export interface BuildOptions {
  /** Shard size target in bytes of clip data (default 256 MiB). */
  maxShardBytes?: number;
  /** Called after each written clip with (clips written, clips planned or null when unknown). */
  onProgress?: (done: number, total: number | null) => void;
}

/** `{ maxShardBytes }` when set, else nothing (keeps exactOptionalPropertyTypes-style spreads tidy). */
export function shardOpts(o: BuildOptions): { maxShardBytes?: number } {
  return o.maxShardBytes === undefined ? {} : { maxShardBytes: o.maxShardBytes };
}

/**
 * Write clips 0..count-1 of a generated dataset, clip i from `clipAt(i)`, into `out` (a directory, replaced
 * atomically): the loop of every builder whose clip i depends only on its spec and i. A failed clip aborts the
 * write (the target is left as it was) and is rethrown.
 */
export async function writeGenerated(
  out: string,
  dataset: Omit<DatasetWriterOptions, 'maxShardBytes'>,
  count: number,
  clipAt: (i: number) => ClipRecord,
  opts: BuildOptions,
): Promise<DatasetIndex> {
  const w = await DatasetWriter.create(out, { ...dataset, ...shardOpts(opts) });
  try {
    for (let i = 0; i < count; i++) {
      await w.add(clipAt(i));
      opts.onProgress?.(i + 1, count);
    }
  } catch (e) {
    await w.abort();
    throw e;
  }
  return w.finish();
}
