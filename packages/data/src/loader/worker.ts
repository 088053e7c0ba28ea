/**
 * Worker-thread entry of the loader. Reads shards, transforms and batches off the training thread
 * (docs/notes/video-decoding.md: I/O and decoding on a blocked main thread stall), and posts
 * each batch with its buffers transferred, never copied. Flow control by credits: the main thread
 * grants `prefetch` batches and one more per batch it consumes.
 *
 * Messages in: init {dir, cfg} | start {gen, epoch, batch, credits} | credit {gen} | close.
 * Messages out: ready {batchesPerEpoch, dropped} | batch {gen, batch} | error {gen, error}.
 */
import { parentPort } from 'node:worker_threads';

import type { DataConfig } from '../config.js';
import { openDataset } from '../format/reader.js';
import { BatchProducer, toWire, type Batch } from './producer.js';

export type ToWorker =
  | { type: 'init'; dir: string; cfg: DataConfig }
  | { type: 'start'; gen: number; epoch: number; batch: number; credits: number }
  | { type: 'credit'; gen: number }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; batchesPerEpoch: number; dropped: number }
  | { type: 'batch'; gen: number; batch: Batch }
  | { type: 'error'; gen: number; error: ReturnType<typeof toWire> };

const port = parentPort;
if (!port) throw new Error('@vtx/data loader worker: must run in a worker thread');

let producer: BatchProducer | null = null;
let gen = -1;
let credits = 0;
let wake: (() => void) | null = null;
/** The running batch loop; a restart waits for it so two loops never share the shard readers. */
let running: Promise<void> = Promise.resolve();

function signal(): void {
  const w = wake;
  wake = null;
  w?.();
}

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

async function run(g: number, epoch: number, batch: number): Promise<void> {
  try {
    for await (const b of producer!.batches(epoch, batch)) {
      while (g === gen && credits <= 0) await new Promise<void>((r) => (wake = r));
      if (g !== gen) return;
      credits--;
      const transfer = [
        b.clips.buffer,
        b.rows.buffer,
        ...(b.labels ? [b.labels.buffer] : []),
        ...Object.values(b.attributes ?? {}).map((a) => a.buffer),
      ];
      post({ type: 'batch', gen: g, batch: b }, transfer as ArrayBuffer[]);
    }
  } catch (e) {
    if (g === gen) post({ type: 'error', gen: g, error: toWire(e) });
  }
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'init':
      openDataset(msg.dir, { verify: false })
        .then((ds) => {
          producer = new BatchProducer(ds, msg.cfg);
          post({
            type: 'ready',
            batchesPerEpoch: producer.layout.batchesPerEpoch,
            dropped: producer.layout.dropped,
          });
        })
        .catch((e: unknown) => post({ type: 'error', gen: -1, error: toWire(e) }));
      break;
    case 'start':
      gen = msg.gen;
      credits = msg.credits;
      signal();
      running = running.then(() => run(msg.gen, msg.epoch, msg.batch));
      break;
    case 'credit':
      if (msg.gen === gen) {
        credits++;
        signal();
      }
      break;
    case 'close':
      gen = -2;
      signal();
      void running.then(() => producer?.close()).finally(() => port.close());
      break;
  }
});
