import fs from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { buildFromFrames, DataError, openDataset, readRows } from '../src/index.js';
import { collect, dataCli, tmpDir } from './helpers.js';

/** An h x w RGB frame with pixel (y, x) = (10t + y, 20 + x, 7) (closed form for checking). */
function pixels(t: number, h: number, w: number): Buffer {
  const rgba = Buffer.alloc(h * w * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) rgba.set([10 * t + y, 20 + x, 7, 255], (y * w + x) * 4);
  return rgba;
}

function writePng(file: string, t: number, h: number, w: number): void {
  const png = new PNG({ width: w, height: h });
  png.data = pixels(t, h, w);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png));
}

function tree(): string {
  const root = path.join(tmpDir('vtx-frames'), 'root');
  for (let t = 0; t < 3; t++) writePng(path.join(root, 'cats/clip1', `f${t + 1}.png`), t, 6, 8);
  for (let t = 0; t < 10; t++) writePng(path.join(root, 'cats/clip2', `f${t + 1}.png`), t, 4, 4); // numeric order: f2 < f10
  const jpg = jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(8 * 8 * 4, 200) }, 95);
  fs.mkdirSync(path.join(root, 'dogs/clip3'), { recursive: true });
  for (let t = 0; t < 2; t++) fs.writeFileSync(path.join(root, 'dogs/clip3', `${t}.jpg`), jpg.data);
  writePng(path.join(root, 'dogs/mixed/a.png'), 0, 4, 4);
  writePng(path.join(root, 'dogs/mixed/b.png'), 1, 5, 4);
  fs.mkdirSync(path.join(root, 'dogs/broken'), { recursive: true });
  fs.writeFileSync(path.join(root, 'dogs/broken/0.png'), Buffer.from([0x89, 0x50, 1, 2, 3]));
  return root;
}

describe('frame-folder builder', () => {
  it('reads PNG/JPEG clip folders exactly, labels from class folders, skips bad clips by name', async () => {
    const root = tree();
    const out = path.join(path.dirname(root), 'ds');
    const ix = await buildFromFrames(out, { kind: 'frames', input: root, fps: 4 });
    expect(ix.labels!.names).toEqual(['cats', 'dogs']);
    expect(ix.skipped.map((s) => path.relative(root, s.source)).sort()).toEqual([
      'dogs/broken',
      'dogs/mixed',
    ]);
    expect(ix.skipped.find((s) => s.source.endsWith('mixed'))!.reason).toContain(
      'frame b.png is 5x4, earlier frames are 4x4',
    );
    const rows = await collect(readRows(await openDataset(out)));
    expect(rows.map((r) => [r.id, r.shape, ix.labels!.names[r.label!]])).toEqual([
      ['root/cats/clip1', [3, 6, 8, 3], 'cats'],
      ['root/cats/clip2', [10, 4, 4, 3], 'cats'],
      ['root/dogs/clip3', [2, 8, 8, 3], 'dogs'],
    ]);
    const clip2 = rows[1]!;
    for (let t = 0; t < 10; t++) {
      const want = pixels(t, 4, 4).filter((_, i) => i % 4 !== 3);
      expect(Buffer.from(clip2.data.subarray(t * 48, (t + 1) * 48)).equals(want)).toBe(true);
    }
    expect(Math.abs(rows[2]!.data[0]! - 200)).toBeLessThanOrEqual(2); // JPEG is lossy
    expect(rows[0]!.fps).toBe(4);
  });

  it('resizes to a fixed size and fails on a bad clip when asked, naming it', async () => {
    const root = tree();
    const out = path.join(path.dirname(root), 'ds2');
    fs.rmSync(path.join(root, 'dogs/broken'), { recursive: true });
    const ix = await buildFromFrames(out, { kind: 'frames', input: root, height: 4, width: 4 });
    expect(ix.shapes.map((s) => s.join('x')).sort()).toEqual(['10x4x4x3', '2x4x4x3', '3x4x4x3']);
    expect(ix.rows).toBe(4);
    fs.mkdirSync(path.join(root, 'dogs/broken'));
    fs.writeFileSync(path.join(root, 'dogs/broken/0.png'), Buffer.from([0x89, 0x50, 1, 2, 3]));
    const err = await buildFromFrames(out, {
      kind: 'frames',
      input: root,
      height: 4,
      width: 4,
      onError: 'fail',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain(`${path.join(root, 'dogs/broken')}: frame 0.png`);
    expect((await openDataset(out)).index.rows).toBe(4);
  });
});

describe('vtx data build frames', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('passes every option it is given to the spec, by its spec name', async () => {
    const root = tree();
    const out = path.join(path.dirname(root), 'cli');
    const r = await dataCli(
      ...['data', 'build', 'frames', root, out, '--name', 'clips', '--height', '4', '--width', '4'],
      ...[
        '--resize',
        'stretch',
        '--fps',
        '4',
        '--max-frames',
        '3',
        '--on-error',
        'skip',
        '--max-shard-mb',
        '1',
      ],
    );
    expect(r.out).toContain(`built ${out}: 4 clips`);
    expect(process.exitCode).toBeUndefined();
    const { index } = await openDataset(out);
    expect(index.builder).toMatchObject({
      kind: 'frames',
      input: root,
      name: 'clips',
      height: 4,
      width: 4,
      resize: 'stretch',
      fps: 4,
      maxFrames: 3,
      onError: 'skip',
    });
    expect(index.shapes.map((s) => s.join('x')).sort()).toEqual(['2x4x4x3', '3x4x4x3']);
  });
});
