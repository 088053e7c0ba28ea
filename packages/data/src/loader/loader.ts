/**
 * The data loader the trainer calls: `createLoader(config)` -> `next()` batches forever (epoch after
 * epoch), `state()` / `restore(state)` for checkpoints, `close()`.
 *
 * The work (reading shards, transforms, batching) runs in a worker thread with `prefetch` batches
 * prepared ahead, or inline with `worker: false`. Everything random is keyed by (seed, epoch, row) and
 * the epoch plan is a pure function of (index, config, epoch), so `state()` = (epoch, batch) and a
 * restored loader returns exactly the batches an uninterrupted one would, whatever the prefetch depth.
 */
import { createHash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { z } from 'zod';

import type { BuildOptions } from '../builders/common.js';
import { DataConfig, type DataConfigInput } from '../config.js';
import { DataError } from '../errors.js';
import { openDataset } from '../format/reader.js';
import type { DatasetIndex } from '../format/schema.js';
import { resolveDataset } from '../resolve.js';
import { spawnWorker } from '../util/spawn-worker.js';
import { checkAttributes, labelRemap } from './labels.js';
import { layout } from './plan.js';
import { BatchProducer, fromWire, type Batch } from './producer.js';
import type { FromWorker, ToWorker } from './worker.js';

/**
 * A loader position, JSON-serialisable for checkpoints. The RNG state is not a stream to save: every
 * draw is keyed by (seed, epoch, row), so (seed, epoch, batch) is the whole state. `plan` fingerprints
 * the dataset and the order-relevant config so a checkpoint is not resumed against different data.
 */
export const LoaderState = z.strictObject({
  version: z.literal(1),
  seed: z.number().int(),
  epoch: z.number().int().nonnegative(),
  /** Index of the next batch within `epoch`. */
  batch: z.number().int().nonnegative(),
  shard: z.strictObject({ index: z.number().int(), count: z.number().int() }),
  plan: z.string(),
});
export type LoaderState = z.infer<typeof LoaderState>;

interface Source {
  start(epoch: number, batch: number): void;
  take(): Promise<Batch>;
  close(): Promise<void>;
}

export class DataLoader {
  private epoch = 0;
  private batch = 0;

  private constructor(
    readonly config: DataConfig,
    /** The dataset directory (for a built-in spec: its cache directory). */
    readonly dir: string,
    readonly index: DatasetIndex,
    readonly batchesPerEpoch: number,
    /** Rows of this shard that fit no bucket and are never returned. */
    readonly dropped: number,
    private readonly source: Source,
    private readonly fingerprint: string,
  ) {
    source.start(0, 0);
  }

  /** Resolve (and on first use build) the dataset, open and verify it, start the worker. */
  static async create(input: DataConfigInput, opts: BuildOptions = {}): Promise<DataLoader> {
    const cfg = DataConfig.parse(input);
    const dir = await resolveDataset(cfg.dataset, cfg.cacheDir, opts);
    const ds = await openDataset(dir, { verify: cfg.verify });
    labelRemap(ds.index, dir, cfg.labels); // a label the numbering lacks fails here, not in the worker
    checkAttributes(ds.index, dir, cfg.attributes); // so does an attribute value
    const lay = layout(ds.index, cfg);
    if (lay.batchesPerEpoch === 0) {
      throw new DataError(
        `${dir}: no batches: shard ${cfg.shard.index}/${cfg.shard.count} has ${lay.hi - lay.lo} rows, ${lay.dropped} fit no bucket (batch size ${cfg.batchSize}, dropRemainder ${cfg.dropRemainder})`,
      );
    }
    const source = cfg.worker
      ? await WorkerSource.create(dir, cfg)
      : new InlineSource(new BatchProducer(ds, cfg));
    return new DataLoader(
      cfg,
      dir,
      ds.index,
      lay.batchesPerEpoch,
      lay.dropped,
      source,
      fingerprint(ds.index, cfg),
    );
  }

  /** The next batch; after the last batch of an epoch comes batch 0 of the next. */
  async next(): Promise<Batch> {
    const b = await this.source.take();
    this.epoch = b.epoch;
    this.batch = b.index + 1;
    if (this.batch >= this.batchesPerEpoch) {
      this.epoch += 1;
      this.batch = 0;
    }
    return b;
  }

  /** The class names `batch.labels` index: `labels` of the config, else the dataset's own; null when unlabelled. */
  get labelNames(): string[] | null {
    return this.index.labels ? (this.config.labels ?? this.index.labels.names) : null;
  }

  /** The vocabularies `batch.attributes` index: `attributes` of the config, else the dataset's own; null if none. */
  get attributeNames(): Record<string, string[]> | null {
    return this.index.attributes ? (this.config.attributes ?? this.index.attributes) : null;
  }

  /** Where `next()` continues from. */
  state(): LoaderState {
    const { index, count } = this.config.shard;
    return {
      version: 1,
      seed: this.config.seed,
      epoch: this.epoch,
      batch: this.batch,
      shard: { index, count },
      plan: this.fingerprint,
    };
  }

  /** Continue from a saved state: the next batch is the one an uninterrupted run would have returned. */
  restore(state: LoaderState): void {
    const s = LoaderState.parse(state);
    const mine = this.state();
    for (const k of ['seed', 'plan'] as const) {
      if (s[k] !== mine[k])
        throw new DataError(
          `loader state ${k} ${s[k]} does not match this loader's ${mine[k]} (different seed, dataset or data config)`,
        );
    }
    if (s.shard.index !== mine.shard.index || s.shard.count !== mine.shard.count) {
      throw new DataError(
        `loader state is for shard ${s.shard.index}/${s.shard.count}, this loader is ${mine.shard.index}/${mine.shard.count}`,
      );
    }
    if (s.batch >= this.batchesPerEpoch)
      throw new DataError(`loader state batch ${s.batch} >= ${this.batchesPerEpoch} batches per epoch`);
    this.epoch = s.epoch;
    this.batch = s.batch;
    this.source.start(s.epoch, s.batch);
  }

  async close(): Promise<void> {
    await this.source.close();
  }

  /** Batches forever (use `batchesPerEpoch` to stop after an epoch). */
  async *[Symbol.asyncIterator](): AsyncGenerator<Batch> {
    for (;;) yield await this.next();
  }
}

/** `DataLoader.create`. */
export function createLoader(config: DataConfigInput, opts: BuildOptions = {}): Promise<DataLoader> {
  return DataLoader.create(config, opts);
}

function fingerprint(index: DatasetIndex, cfg: DataConfig): string {
  const { batchSize, transforms, buckets, shuffle, shuffleBuffer, dropRemainder, caption } = cfg;
  const key = JSON.stringify([
    index.shards.map((s) => s.sha256),
    batchSize,
    transforms,
    buckets,
    shuffle,
    shuffleBuffer,
    dropRemainder,
    caption,
  ]);
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

class InlineSource implements Source {
  private it: AsyncGenerator<Batch> | null = null;

  constructor(private readonly producer: BatchProducer) {}

  start(epoch: number, batch: number): void {
    void this.it?.return(undefined);
    this.it = this.producer.batches(epoch, batch);
  }

  async take(): Promise<Batch> {
    const r = await this.it!.next();
    if (r.done) throw new Error('loader: batch stream ended');
    return r.value;
  }

  async close(): Promise<void> {
    await this.it?.return(undefined);
    await this.producer.close();
  }
}

class WorkerSource implements Source {
  private gen = 0;
  private queue: Batch[] = [];
  private waiters: { resolve: (b: Batch) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | null = null;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly prefetch: number,
  ) {
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`loader worker exited with code ${code}`));
    });
    worker.unref(); // only pending take()s keep the process alive
  }

  static async create(dir: string, cfg: DataConfig): Promise<WorkerSource> {
    const worker = spawnWorker(import.meta.url, './worker');
    const ready = new Promise<void>((resolve, reject) => {
      const onMsg = (m: FromWorker) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'error') reject(fromWire(m.error));
        else return;
        worker.off('message', onMsg);
        worker.off('error', reject);
      };
      worker.on('message', onMsg);
      worker.once('error', reject);
    });
    worker.postMessage({ type: 'init', dir, cfg } satisfies ToWorker);
    try {
      await ready;
    } catch (e) {
      await worker.terminate();
      throw e;
    }
    return new WorkerSource(worker, cfg.prefetch);
  }

  start(epoch: number, batch: number): void {
    this.gen += 1;
    this.queue = [];
    this.worker.postMessage({
      type: 'start',
      gen: this.gen,
      epoch,
      batch,
      credits: this.prefetch,
    } satisfies ToWorker);
  }

  take(): Promise<Batch> {
    if (this.failure) return Promise.reject(this.failure);
    const b = this.queue.shift();
    if (b) {
      this.credit();
      return Promise.resolve(b);
    }
    this.worker.ref();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.worker.ref();
    const exited = new Promise((r) => this.worker.once('exit', r));
    this.worker.postMessage({ type: 'close' } satisfies ToWorker);
    const t = setTimeout(() => void this.worker.terminate(), 2000);
    await exited;
    clearTimeout(t);
  }

  private credit(): void {
    this.worker.postMessage({ type: 'credit', gen: this.gen } satisfies ToWorker);
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'batch' && m.gen === this.gen) {
      const w = this.waiters.shift();
      if (w) {
        if (this.waiters.length === 0) this.worker.unref();
        this.credit();
        w.resolve(m.batch);
      } else this.queue.push(m.batch);
    } else if (m.type === 'error' && m.gen === this.gen) {
      this.fail(fromWire(m.error));
    }
  }

  private fail(e: Error): void {
    this.failure = e;
    for (const w of this.waiters.splice(0)) w.reject(e);
    this.worker.unref();
  }
}
