/**
 * `vtx sample`'s flags against the run: a class the model does not have (or its null class), a caption for a class
 * model, a flag without its value and a guidance interval out of order or range are usage errors naming the flag
 * (exit 2, nothing written; `vtx eval --set` of the interval names the config key); the contact sheet
 * says which row is which class. On a tiny class-conditional video DiT (4 classes) trained a few steps on wasm.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gridFrames, labelColumnWidth } from '@vtx/media';
import { captureCli } from './helpers/cli.js';
import { tinyRun, wasmRunsDir } from '../../train/test/helpers/tiny.js';

const dir = wasmRunsDir('sample-flags');
const io = captureCli();
const { run } = io;
let runDir = '';
beforeAll(async () => {
  process.env['VTX_BACKEND'] = 'wasm';
  runDir = await tinyRun(dir);
}, 600_000);

describe('vtx sample flags', () => {
  const sample = (...flags: string[]) =>
    run('sample', runDir, '--count', '2', '--steps', 'ddim2', '--no-mp4', ...flags);

  it("--class past the model's classes: exit 2 naming the flag and the classes, nothing written", async () => {
    const stem = join(dir, 'seven');
    expect(await sample('--class', '7', '--out', stem)).toBe(2);
    expect(io.err).toMatch(/^error: --class 7: .* has 4 classes, 0 to 3\n/);
    expect(await sample('--class', '4', '--out', stem)).toBe(2);
    expect(io.err).toMatch(/--class 4: .*null class of classifier-free guidance/);
    expect(await sample('--class', '-1', '--out', stem)).toBe(2);
    expect(io.err).toMatch(/--class -1: expected class labels/);
    expect(existsSync(`${stem}.png`)).toBe(false);
    expect(io.err).not.toMatch(/\n\s+at /);
  });

  it('a flag without its value, or not a number: exit 2 naming it', async () => {
    expect(await sample('--cfg-scale')).toBe(2);
    expect(io.err).toMatch(/cfg-scale/);
    expect(await sample('--cfg-scale', 'x')).toBe(2);
    expect(io.err).toMatch(/--cfg-scale NaN: expected a number >= 0/);
    expect(await run('sample', runDir, '--count', '0')).toBe(2);
    expect(io.err).toMatch(/--count 0: expected a positive integer/);
  });

  it('--guidance-interval: LO HI with 0 <= LO < HI <= 1, else exit 2 naming the flag, nothing written', async () => {
    const stem = join(dir, 'interval');
    expect(await sample('--guidance-interval', '0.9', '0.1', '--out', stem)).toBe(2);
    expect(io.err).toMatch(
      /--guidance-interval 0\.9 0\.1: expected LO HI: two noise levels t\/T with 0 <= LO < HI <= 1/,
    );
    expect(await sample('--guidance-interval', '0.5', '--out', stem)).toBe(2);
    expect(io.err).toMatch(/--guidance-interval 0\.5: expected LO HI/);
    expect(await sample('--guidance-interval', '0', '2', '--out', stem)).toBe(2);
    expect(existsSync(`${stem}.png`)).toBe(false);
    process.exitCode = 0; // a run that succeeds leaves the exit code as it was
    expect(await sample('--guidance-interval', '0.2', '1', '--out', stem)).toBe(0);
    expect(existsSync(`${stem}.png`)).toBe(true);
  });

  it('vtx eval --set diffusion.guidanceInterval out of order: exit 2 naming the key', async () => {
    expect(await run('eval', runDir, '--set', 'diffusion.guidanceInterval=[0.9,0.1]')).toBe(2);
    expect(io.err).toMatch(/diffusion\.guidanceInterval: \[0\.9, 0\.1\]: lo must be below hi/);
  });

  it('--caption on a class-conditional run: exit 2 naming the flag', async () => {
    expect(await sample('--caption', 'a red circle')).toBe(2);
    expect(io.err).toMatch(/--caption: .* is class-conditional \(4 classes\); it samples --class only/);
  });

  it('labels each row of the contact sheet with its class and the class name', async () => {
    const stem = join(dir, 'labelled');
    expect(await sample('--class', '0', '3', '--out', stem)).toBe(0);
    const png = PNG.sync.read(readFileSync(`${stem}.png`));
    const { labels } = JSON.parse(
      readFileSync(join(readdirOne(join(dir, 'cache')), 'index.json'), 'utf8'),
    ) as { labels: { names: string[] } };
    const rows = [`class 0 (${labels.names[0]})`, `class 3 (${labels.names[3]})`];
    const grid = gridFrames(
      { data: new Float32Array(8 * 16 * 16 * 3), shape: [8, 1, 16, 16, 3] },
      { cols: 4 },
    );
    const column = labelColumnWidth(rows);
    expect([png.width, png.height]).toEqual([column + grid.width, grid.height]);
    // each row's band of the label column holds dark (text) pixels, and the two bands differ
    const band = (row: number) => {
      const ink: number[] = [];
      const h = grid.height / 2;
      for (let y = Math.floor(row * h); y < Math.floor((row + 1) * h); y++)
        for (let x = 0; x < column; x++)
          if (png.data[(y * png.width + x) * 4]! < 128) ink.push(x, y - row * h);
      return ink;
    };
    expect(band(0).length).toBeGreaterThan(20);
    expect(band(1).length).toBeGreaterThan(20);
    expect(band(0)).not.toEqual(band(1));
  });
});

/** The one directory inside `parent` (a built-in dataset's cache). */
function readdirOne(parent: string): string {
  const names = readdirSync(parent).filter((n) => !n.startsWith('.'));
  expect(names).toHaveLength(1);
  return join(parent, names[0]!);
}
