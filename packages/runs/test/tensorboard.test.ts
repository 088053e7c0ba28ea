import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '../src/crc32c.js';
import { EventWriter } from '../src/index.js';
import { pngInfo } from '../src/tensorboard.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

describe('crc32c', () => {
  it('matches the RFC 3720 §B.4 and "123456789" check values', () => {
    const ascii = new TextEncoder().encode('123456789');
    expect(crc32c(ascii)).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('masks as rotate-right-15 plus 0xa282ead8 (inverted here by hand)', () => {
    const ascii = new TextEncoder().encode('123456789');
    const m = maskedCrc32c(ascii);
    const rot = (m - 0xa282ead8) >>> 0;
    expect(((rot >>> 17) | (rot << 15)) >>> 0).toBe(0xe3069283);
  });
});

/** An independent TFRecord + protobuf reader, enough for Event / Summary / Value / Image. */
function readRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const len = Number(view.getBigUint64(at, true));
    expect(view.getUint32(at + 8, true)).toBe(maskedCrc32c(bytes.subarray(at, at + 8)));
    const data = bytes.subarray(at + 12, at + 12 + len);
    expect(view.getUint32(at + 12 + len, true)).toBe(maskedCrc32c(data));
    out.push(data);
    at += 16 + len;
  }
  expect(at).toBe(bytes.length);
  return out;
}

type Field = number | Uint8Array;
function decode(buf: Uint8Array): Map<number, Field[]> {
  const fields = new Map<number, Field[]>();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let i = 0;
  const varint = () => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++]!;
      n += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return n;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const [field, wire] = [Math.floor(key / 8), key % 8];
    let v: Field;
    if (wire === 0) v = varint();
    else if (wire === 1) [v, i] = [view.getFloat64(i, true), i + 8];
    else if (wire === 5) [v, i] = [view.getFloat32(i, true), i + 4];
    else if (wire === 2) {
      const n = varint();
      [v, i] = [buf.subarray(i, i + n), i + n];
    } else throw new Error(`wire type ${wire}`);
    fields.set(field, [...(fields.get(field) ?? []), v]);
  }
  return fields;
}
const str = (f: Field | undefined) => new TextDecoder().decode(f as Uint8Array);

/** PNG signature + IHDR (3 wide, 2 high, 8-bit RGB); the rest of the file is not needed for the summary. */
const png = Uint8Array.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 3, 0, 0, 0, 2,
  8, 2, 0, 0, 0,
]);

describe('EventWriter', () => {
  it('writes file_version, scalar and image events that an independent reader parses back', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'vtx-tb-'));
    dirs.push(dir);
    const w = new EventWriter(dir, { now: () => 1700000000.5 });
    w.scalar('train/loss', 0.25, 7);
    w.scalars({ lr: 3e-4, gradNorm: 1.5, note: 'skip' }, 300000, 'train/');
    w.image('samples', png, 8);
    w.close();
    expect(w.path).toMatch(/events\.out\.tfevents\.1700000000\./);
    const events = readRecords(await fs.readFile(w.path)).map(decode);
    expect(events).toHaveLength(4);
    expect(events[0]!.get(1)).toEqual([1700000000.5]);
    expect(str(events[0]!.get(3)?.[0])).toBe('brain.Event:2');

    const values = (e: Map<number, Field[]>) =>
      decode(e.get(5)![0] as Uint8Array)
        .get(1)!
        .map((v) => decode(v as Uint8Array));
    expect(events[1]!.get(2)).toEqual([7]);
    const [loss] = values(events[1]!);
    expect(str(loss!.get(1)?.[0])).toBe('train/loss');
    expect(loss!.get(2)).toEqual([0.25]);

    expect(events[2]!.get(2)).toEqual([300000]);
    const two = values(events[2]!);
    expect(two.map((v) => str(v.get(1)?.[0]))).toEqual(['train/lr', 'train/gradNorm']);
    expect(two[0]!.get(2)![0]).toBeCloseTo(3e-4, 9);

    const [img] = values(events[3]!);
    expect(str(img!.get(1)?.[0])).toBe('samples');
    const image = decode(img!.get(4)![0] as Uint8Array);
    expect(image.get(1)).toEqual([2]); // height
    expect(image.get(2)).toEqual([3]); // width
    expect(image.get(3)).toEqual([3]); // RGB
    expect(Array.from(image.get(4)![0] as Uint8Array)).toEqual(Array.from(png));
  });

  it('reads PNG geometry and rejects non-PNG bytes', () => {
    expect(pngInfo(png)).toEqual({ width: 3, height: 2, colorspace: 3 });
    expect(() => pngInfo(new Uint8Array(30))).toThrow(/not a PNG/);
  });
});
