import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  buildSynthetic,
  inspectDataset,
  MOTION_CLASSES,
  openDataset,
  readRows,
  type DatasetSummary,
} from '../src/index.js';
import { collect, dataCli as cli, tmpDir } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('inspect', () => {
  it('counts rows, shapes, labels, captions and writes PNG and GIF contact sheets', async () => {
    const root = tmpDir();
    const dir = path.join(root, 'shapes');
    await buildSynthetic(dir, { kind: 'synthetic', count: 40, frames: 6, height: 16, width: 24 });
    const s = await inspectDataset(dir, { sheet: path.join(root, 'sheet.png'), sheetClips: 3 });
    expect(s.rows).toBe(40);
    expect(s.shapes).toEqual([{ shape: [6, 16, 24, 3], count: 40 }]);
    expect(s.labels!.map((l) => l.name)).toEqual(MOTION_CLASSES);
    expect(s.labels!.reduce((a, l) => a + l.count, 0)).toBe(40);
    expect(s.captioned).toBe(40);
    expect(s.bytesOnDisk).toBe(
      fs.readdirSync(dir).reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0),
    );
    // PNG sheet: 3 clip rows x 6 frame columns of 16x24 tiles with 2 px gaps.
    const png = PNG.sync.read(fs.readFileSync(path.join(root, 'sheet.png')));
    expect([png.width, png.height]).toEqual([6 * 26 + 2, 3 * 18 + 2]);
    // ... and every pixel: clip r's frame k in the tile at row r, column k (uint8 tiles under 128 px: no
    // scaling), white in the gaps.
    const rows = (await collect(readRows(await openDataset(dir)))).slice(0, 3);
    const tile = (x: number, y: number) => [Math.floor((y - 2) / 18), Math.floor((x - 2) / 26)] as const;
    for (let y = 0; y < png.height; y++)
      for (let x = 0; x < png.width; x++) {
        const [r, k] = tile(x, y);
        const [ty, tx] = [y - 2 - r * 18, x - 2 - k * 26];
        const inTile = y >= 2 && x >= 2 && ty < 16 && tx < 24;
        const at = ((k * 16 + ty) * 24 + tx) * 3;
        const want = inTile ? [...rows[r]!.data.subarray(at, at + 3), 255] : [255, 255, 255, 255];
        expect(Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4))).toEqual(
          want,
        );
      }
    await inspectDataset(dir, { sheet: path.join(root, 'sheet.gif'), sheetClips: 4 });
    const gif = fs.readFileSync(path.join(root, 'sheet.gif'));
    expect(gif.subarray(0, 6).toString()).toBe('GIF89a');
    expect(gif.readUInt16LE(6)).toBe(2 * 26 + 2); // 2x2 grid of 24-px-wide tiles
  });
});

describe('vtx data CLI', () => {
  it('builds, inspects as JSON, and reports bad input as one error line with exit code 1', async () => {
    const root = tmpDir();
    const dir = path.join(root, 'ds');
    const built = await cli(
      'data',
      'build',
      'synthetic',
      dir,
      '--count',
      '12',
      '--frames',
      '4',
      '--height',
      '8',
      '--width',
      '8',
      '--seed',
      '3',
    );
    expect(built.out).toContain(`built ${dir}: 12 clips in 1 shard(s)`);
    const { out } = await cli('data', 'inspect', dir, '--json');
    const s = JSON.parse(out) as DatasetSummary;
    expect([s.rows, s.builder.seed, s.shapes[0]!.shape]).toEqual([12, 3, [4, 8, 8, 3]]);

    fs.writeFileSync(path.join(dir, 'index.json'), '{"format": "vtx-video-arrow", "schemaVersion": 7}');
    const bad = await cli('data', 'inspect', dir);
    expect(bad.err).toBe(
      `error: ${path.join(dir, 'index.json')}: schema version 7 is not supported (this reader reads 1)\n`,
    );
    expect(process.exitCode).toBe(1);

    process.exitCode = undefined;
    const invalid = await cli(
      'data',
      'build',
      'synthetic',
      path.join(root, 'x'),
      '--holdout',
      '[{"colour":"purple"}]',
    );
    expect(invalid.err).toContain('invalid options');
    expect(process.exitCode).toBe(2); // a usage error: the options, not the data
    expect(fs.existsSync(path.join(root, 'x'))).toBe(false);
  });

  it('--only restricts attribute values; a flag that is not JSON is named in the error', async () => {
    const root = tmpDir();
    const dir = path.join(root, 'large');
    const args = [
      'data',
      'build',
      'synthetic',
      dir,
      '--count',
      '16',
      '--frames',
      '2',
      '--height',
      '8',
      '--width',
      '8',
    ];
    await cli(...args, '--only', '{"size":["large"],"background":["black","navy"]}');
    const rows = await collect(readRows(await openDataset(dir)));
    expect(new Set(rows.map((r) => r.attributes!.size))).toEqual(new Set(['large']));
    expect(rows.every((r) => ['black', 'navy'].includes(String(r.attributes!.background)))).toBe(true);
    expect(process.exitCode).toBeUndefined();

    for (const [flag, text] of [
      ['--only', '{size:'],
      ['--holdout', '[{'],
    ] as const) {
      process.exitCode = undefined;
      const bad = await cli(...args.slice(0, 3), path.join(root, 'bad'), flag, text);
      expect(bad.err).toBe(`error: ${flag}: '${text}' is not JSON\n`);
      expect(process.exitCode).toBe(2);
      expect(fs.existsSync(path.join(root, 'bad'))).toBe(false);
    }
  });
});
