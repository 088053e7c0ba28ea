/**
 * DatasetWriter: clips in, a sharded Arrow dataset out, with bounded memory.
 *
 * Rows are grouped into record batches of about `batchBytes` and batches into shards of about
 * `maxShardBytes`. Each shard is an Arrow IPC *file* (footer = random access for the loader) written
 * through a manual drain loop (docs/notes/arrow-io.md: the Node-stream writers buffer the whole
 * file, ~1 GB RSS for a 0.94 GB file; the drain loop stays ~140 MB).
 * Everything goes to a temporary directory that replaces the target only in `finish()`.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import * as A from 'apache-arrow';

import { DataError } from '../errors.js';
import { nodeIO, tempSibling, writeFileAtomic } from '@vtx/runs';
import { assertReplaceable, replaceDir } from './atomic.js';
import {
  arrowSchema,
  clipBytes,
  DatasetIndex,
  FORMAT_NAME,
  SCHEMA_VERSION,
  shapeKey,
  shardFileName,
  type BatchInfo,
  type ClipDType,
  type ClipRecord,
  type ClipShape,
  type ShardInfo,
} from './schema.js';

export interface DatasetWriterOptions {
  /** Dataset name: the shard file prefix. */
  name: string;
  dtype: ClipDType;
  /** The builder and its options, stored in the index. */
  builder: Record<string, unknown>;
  /** Class names; labels must be in [0, names.length). */
  labels?: string[] | null;
  /** Attribute vocabulary; every row's attributes must use these names and values. */
  attributes?: Record<string, readonly string[]> | null;
  /** Shard size target in bytes of clip data (default 256 MiB). */
  maxShardBytes?: number;
  /** Record batch size target in bytes of clip data (default 4 MiB, at most 1024 rows). */
  batchBytes?: number;
}

interface OpenShard {
  tmpFile: string;
  out: WriteStream;
  writer: A.RecordBatchFileWriter;
  consumer: Promise<void>;
  hash: ReturnType<typeof createHash>;
  bytes: number;
  rows: number;
  batches: BatchInfo[];
}

export class DatasetWriter {
  private readonly schema: A.Schema;
  private readonly shapes = new Map<string, number>();
  private readonly shapeList: ClipShape[] = [];
  private readonly shards: (Omit<ShardInfo, 'file'> & { tmpFile: string })[] = [];
  private readonly skipped: { source: string; reason: string }[] = [];
  private readonly ids = new Set<string>();
  private pending: ClipRecord[] = [];
  private pendingBytes = 0;
  private shard: OpenShard | null = null;
  private rows = 0;
  private totalBytes = 0;
  private done = false;

  private constructor(
    readonly target: string,
    readonly tmpDir: string,
    private readonly opts: Required<DatasetWriterOptions>,
  ) {
    this.schema = arrowSchema(opts.dtype);
  }

  /** Start writing a dataset that will replace `target` (a directory) when `finish()` succeeds. */
  static async create(target: string, options: DatasetWriterOptions): Promise<DatasetWriter> {
    await assertReplaceable(target);
    await fs.mkdir(path.dirname(path.resolve(target)), { recursive: true });
    const tmpDir = tempSibling(path.resolve(target), 'building');
    await fs.mkdir(tmpDir);
    const opts: Required<DatasetWriterOptions> = {
      labels: null,
      attributes: null,
      maxShardBytes: 256 * 2 ** 20,
      batchBytes: 4 * 2 ** 20,
      ...options,
    };
    if (!/^[A-Za-z0-9._-]+$/.test(opts.name))
      throw new DataError(`dataset name '${opts.name}' must match [A-Za-z0-9._-]+`);
    return new DatasetWriter(path.resolve(target), tmpDir, opts);
  }

  get rowCount(): number {
    return this.rows;
  }

  /** Append one clip. Validates it against the shape, dtype, labels and attribute vocabulary. */
  async add(rec: ClipRecord): Promise<void> {
    if (this.done) throw new Error('DatasetWriter: add() after finish()/abort()');
    this.validate(rec);
    this.ids.add(rec.id);
    this.pending.push(rec);
    this.pendingBytes += rec.data.byteLength;
    if (this.pendingBytes >= this.opts.batchBytes || this.pending.length >= 1024)
      await this.flushBatch().catch((e: unknown) => {
        throw this.ioError(e);
      });
  }

  /** Record an input the builder could not use; it is listed in the index. */
  skip(source: string, reason: string): void {
    this.skipped.push({ source, reason });
  }

  /** Flush, close the shards, write index.json and move the dataset into place. Returns the index. */
  async finish(): Promise<DatasetIndex> {
    try {
      await this.flushBatch();
      await this.closeShard();
      const n = this.shards.length;
      const shards: ShardInfo[] = [];
      for (const [i, s] of this.shards.entries()) {
        const file = shardFileName(this.opts.name, i, n);
        await fs.rename(s.tmpFile, path.join(this.tmpDir, file));
        const { tmpFile: _t, ...info } = s;
        shards.push({ file, ...info });
      }
      const index = DatasetIndex.parse({
        format: FORMAT_NAME,
        schemaVersion: SCHEMA_VERSION,
        name: this.opts.name,
        builder: this.opts.builder,
        createdAt: new Date().toISOString(),
        dtype: this.opts.dtype,
        rows: this.rows,
        clipBytes: this.totalBytes,
        shapes: this.shapeList,
        labels: this.opts.labels ? { names: this.opts.labels } : null,
        attributes: this.opts.attributes
          ? Object.fromEntries(Object.entries(this.opts.attributes).map(([k, v]) => [k, [...v]]))
          : null,
        skipped: this.skipped,
        shards,
      } satisfies DatasetIndex);
      await writeFileAtomic(path.join(this.tmpDir, 'index.json'), JSON.stringify(index, null, 1) + '\n');
      await nodeIO.syncDir(this.tmpDir);
      await replaceDir(this.tmpDir, this.target);
      this.done = true;
      return index;
    } catch (e) {
      await this.abort();
      throw this.ioError(e);
    }
  }

  /**
   * File-system failures (ENOSPC, EIO, …) name the dataset being written: node's own message for a stream write
   * ("ENOSPC: no space left on device, write") names no file. Errors that already are DataErrors pass through.
   */
  private ioError(e: unknown): unknown {
    const code = (e as NodeJS.ErrnoException | null)?.code;
    if (e instanceof DataError || !code) return e;
    return new DataError(
      `${this.target}: writing the dataset failed (${code}: ${(e as Error).message}); the previous dataset there, if any, is untouched`,
      { file: this.target, cause: e },
    );
  }

  /** Drop everything written so far; the previous dataset at the target (if any) is untouched. */
  async abort(): Promise<void> {
    this.done = true;
    if (this.shard) {
      this.shard.out.destroy();
      this.shard = null;
    }
    await fs.rm(this.tmpDir, { recursive: true, force: true });
  }

  private validate(rec: ClipRecord): void {
    const where = `clip '${rec.id}' (${rec.source})`;
    if (this.ids.has(rec.id)) throw new DataError(`${where}: duplicate id`);
    if (rec.shape.length !== 4 || rec.shape.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new DataError(
        `${where}: shape [${rec.shape.join(', ')}] is not 4 positive integers (T, H, W, C)`,
      );
    }
    const need = clipBytes(rec.shape, this.opts.dtype);
    if (rec.data.byteLength !== need) {
      throw new DataError(
        `${where}: shape ${shapeKey(rec.shape)} ${this.opts.dtype} needs ${need} bytes, got ${rec.data.byteLength}`,
      );
    }
    const names = this.opts.labels;
    if (
      rec.label !== null &&
      (!Number.isInteger(rec.label) || (names && (rec.label < 0 || rec.label >= names.length)))
    ) {
      throw new DataError(
        `${where}: label ${rec.label} is not a class index in [0, ${names?.length ?? '∞'})`,
      );
    }
    if (rec.attributes) {
      const vocab = this.opts.attributes;
      for (const [k, v] of Object.entries(rec.attributes)) {
        if (vocab && !vocab[k]?.includes(v))
          throw new DataError(`${where}: attribute ${k}='${v}' is not in the vocabulary`);
      }
    }
  }

  private shapeId(shape: ClipShape): number {
    const key = shapeKey(shape);
    let id = this.shapes.get(key);
    if (id === undefined) {
      id = this.shapeList.length;
      this.shapes.set(key, id);
      this.shapeList.push([...shape]);
    }
    return id;
  }

  private async flushBatch(): Promise<void> {
    const rows = this.pending;
    if (rows.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    const shard = this.shard ?? (this.shard = this.openShard());
    const batch = this.toRecordBatch(rows);
    shard.writer.write(batch);
    await yieldToLoop(); // let the consumer move the queued chunks to the file stream
    if (shard.out.writableNeedDrain) await once(shard.out, 'drain');
    // Run-length encode the rows' shapes for the index.
    const runs: [number, number][] = [];
    for (const r of rows) {
      const id = this.shapeId(r.shape);
      const last = runs[runs.length - 1];
      if (last && last[0] === id) last[1] += 1;
      else runs.push([id, 1]);
    }
    shard.batches.push({ rows: rows.length, shapes: runs });
    const bytes = rows.reduce((a, r) => a + r.data.byteLength, 0);
    shard.bytes += bytes;
    shard.rows += rows.length;
    this.rows += rows.length;
    this.totalBytes += bytes;
    if (shard.bytes >= this.opts.maxShardBytes) await this.closeShard();
  }

  private openShard(): OpenShard {
    const tmpFile = path.join(this.tmpDir, `shard-${this.shards.length}.arrow.partial`);
    const out = createWriteStream(tmpFile, { flush: true });
    const writer = new A.RecordBatchFileWriter();
    const hash = createHash('sha256');
    const consumer = (async () => {
      for await (const chunk of writer as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        if (!out.write(chunk)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
    })();
    consumer.catch(() => undefined); // surfaced when awaited in closeShard
    return { tmpFile, out, writer, consumer, hash, bytes: 0, rows: 0, batches: [] };
  }

  private async closeShard(): Promise<void> {
    const s = this.shard;
    if (!s) return;
    this.shard = null;
    s.writer.finish();
    await s.consumer;
    const st = await fs.stat(s.tmpFile);
    this.shards.push({
      tmpFile: s.tmpFile,
      rows: s.rows,
      bytes: st.size,
      sha256: s.hash.digest('hex'),
      batches: s.batches,
    });
  }

  /** Rows -> one Arrow record batch. Every column gets its own buffers (aliasing breaks IPC, §4). */
  private toRecordBatch(rows: ClipRecord[]): A.RecordBatch {
    const n = rows.length;
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++)
      offsets[i + 1] = (offsets[i] as number) + (rows[i] as ClipRecord).data.byteLength;
    const bytes = new Uint8Array(offsets[n] as number);
    rows.forEach((r, i) => bytes.set(r.data, offsets[i]));
    const dims = new Int32Array(4 * n);
    rows.forEach((r, i) => dims.set(r.shape, 4 * i));
    const [, , , shapeF] = this.schema.fields;
    const children = [
      A.vectorFromArray(
        rows.map((r) => r.id),
        new A.Utf8(),
      ).data[0],
      A.vectorFromArray(
        rows.map((r) => r.source),
        new A.Utf8(),
      ).data[0],
      A.makeData({ type: new A.Binary(), length: n, valueOffsets: offsets, data: bytes }),
      A.makeData({
        type: shapeF!.type as A.FixedSizeList<A.Int32>,
        length: n,
        child: A.makeData({ type: new A.Int32(), length: 4 * n, data: dims }),
      }),
      A.vectorFromArray(
        rows.map((r) => r.label),
        new A.Int32(),
      ).data[0],
      A.vectorFromArray(
        rows.map((r) => r.caption),
        new A.Utf8(),
      ).data[0],
      A.vectorFromArray(
        rows.map((r) => r.captionTerse),
        new A.Utf8(),
      ).data[0],
      A.vectorFromArray(
        rows.map((r) => (r.attributes ? JSON.stringify(r.attributes) : null)),
        new A.Utf8(),
      ).data[0],
      A.vectorFromArray(
        rows.map((r) => r.fps),
        new A.Float64(),
      ).data[0],
      A.vectorFromArray(
        rows.map((r) => (r.meta ? JSON.stringify(r.meta) : null)),
        new A.Utf8(),
      ).data[0],
    ];
    const data = A.makeData({
      type: new A.Struct(this.schema.fields),
      length: n,
      nullCount: 0,
      children: children as A.Data[],
    });
    return new A.RecordBatch(this.schema, data);
  }
}
