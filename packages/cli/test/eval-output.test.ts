/**
 * `vtx eval` prints metrics for people (a line each, 4 significant digits) and, with --json, every digit: the two
 * agree to the printed precision. On the tiny video DiT run, trained a few steps on wasm.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { captureCli } from './helpers/cli.js';
import { tinyRun, wasmRunsDir } from '../../train/test/helpers/tiny.js';

const dir = wasmRunsDir('eval-output');
const io = captureCli();
let runDir = '';
beforeAll(async () => {
  process.env['VTX_BACKEND'] = 'wasm';
  runDir = await tinyRun(dir);
}, 600_000);

describe('vtx eval output', () => {
  it('rounds for people and keeps every digit in --json', async () => {
    expect(await io.run('eval', runDir, '--json')).toBe(0);
    const full = JSON.parse(io.out) as Record<string, unknown>;
    io.out = '';
    expect(await io.run('eval', runDir)).toBe(0);
    const lines = Object.fromEntries(
      io.out
        .trim()
        .split('\n')
        .map((l) => l.split(': ') as [string, string]),
    );
    const metrics = Object.entries(full).filter(([k, v]) => k.startsWith('val/') && typeof v === 'number');
    expect(metrics.length).toBeGreaterThan(0);
    for (const [k, v] of metrics) {
      const shown = lines[k]!;
      expect(shown.replace(/^-?0\.0*|[.-]/g, '').length, `${k}: ${shown}`).toBeLessThanOrEqual(4);
      expect(Number(shown)).toBe(Number((v as number).toPrecision(4)));
    }
  });
});
