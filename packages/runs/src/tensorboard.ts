/**
 * TensorBoard event files, written without TensorFlow: a sequence of TFRecords, each holding one `Event` protobuf.
 *
 *   TFRecord  = u64le length | u32le masked_crc32c(length bytes) | data | u32le masked_crc32c(data)
 *   Event     { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   Summary   { repeated Value value = 1; }
 *   Value     { string tag = 1; float simple_value = 2; Image image = 4; }
 *   Image     { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
 * (tensorflow/core/util/event.proto, core/framework/summary.proto, core/lib/io/record_writer.cc.) The first record
 * is `file_version: "brain.Event:2"`. The file name must contain "tfevents" for TensorBoard to pick it up.
 * Only these few fields are needed, so the protobuf encoding is written out rather than pulled in.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { maskedCrc32c } from './crc32c.js';

/** Minimal protobuf writer: varints, fixed64 doubles, fixed32 floats, length-delimited fields. */
class Proto {
  private parts: number[] = [];

  private varint(n: number): void {
    // non-negative integers up to 2^53
    while (n >= 0x80) {
      this.parts.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.parts.push(n);
  }

  private key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  uint(field: number, n: number): this {
    if (!Number.isSafeInteger(n) || n < 0)
      throw new Error(`protobuf field ${field}: ${n} is not a non-negative integer`);
    this.key(field, 0);
    this.varint(n);
    return this;
  }

  double(field: number, x: number): this {
    this.key(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, true);
    this.parts.push(...b);
    return this;
  }

  float(field: number, x: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, x, true);
    this.parts.push(...b);
    return this;
  }

  bytes(field: number, data: Uint8Array | string): this {
    const b = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    this.key(field, 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** Frame one record the way TFRecord does. */
export function tfrecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** Width, height and TensorBoard colorspace (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA) from a PNG's IHDR chunk. */
export function pngInfo(png: Uint8Array): { width: number; height: number; colorspace: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (
    png.length < 26 ||
    !sig.every((b, i) => png[i] === b) ||
    String.fromCharCode(...png.subarray(12, 16)) !== 'IHDR'
  )
    throw new Error('image summary: not a PNG (bad signature or no IHDR)');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const colorType = png[25]!;
  const colorspace = ({ 0: 1, 4: 2, 2: 3, 3: 3, 6: 4 } as Record<number, number>)[colorType];
  if (colorspace === undefined) throw new Error(`image summary: unknown PNG colour type ${colorType}`);
  return { width: view.getUint32(16), height: view.getUint32(20), colorspace };
}

export class EventWriter {
  readonly path: string;
  private fd: number | null;
  private readonly now: () => number;

  /** Create `dir` and a new event file `events.out.tfevents.<seconds>.<host>.<pid>` in it. */
  constructor(dir: string, opts: { now?: () => number } = {}) {
    this.now = opts.now ?? (() => Date.now() / 1000);
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `events.out.tfevents.${Math.floor(this.now())}.${hostname()}.${process.pid}`);
    this.fd = openSync(this.path, 'a');
    this.write(new Proto().double(1, this.now()).bytes(3, 'brain.Event:2').finish());
  }

  private write(event: Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.path}: write after close`);
    const rec = tfrecord(event);
    let off = 0;
    while (off < rec.length) off += writeSync(this.fd, rec, off);
  }

  private event(step: number, values: Uint8Array[]): void {
    const summary = new Proto();
    for (const v of values) summary.bytes(1, v);
    this.write(new Proto().double(1, this.now()).uint(2, step).bytes(5, summary.finish()).finish());
  }

  /** One scalar (shown under `tag`, e.g. `train/loss`). */
  scalar(tag: string, value: number, step: number): void {
    this.event(step, [new Proto().bytes(1, tag).float(2, value).finish()]);
  }

  /** Several scalars at one step (non-numbers are skipped). */
  scalars(values: Record<string, unknown>, step: number, prefix = ''): void {
    const vs = Object.entries(values)
      .filter((e): e is [string, number] => typeof e[1] === 'number')
      .map(([k, v]) =>
        new Proto()
          .bytes(1, prefix + k)
          .float(2, v)
          .finish(),
      );
    if (vs.length) this.event(step, vs);
  }

  /** An image from PNG bytes (e.g. a grid of samples). */
  image(tag: string, png: Uint8Array, step: number): void {
    const { width, height, colorspace } = pngInfo(png);
    const img = new Proto().uint(1, height).uint(2, width).uint(3, colorspace).bytes(4, png).finish();
    this.event(step, [new Proto().bytes(1, tag).bytes(4, img).finish()]);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
