/**
 * `vtx train --ranks N`: the CLI starts itself under mpirun as N data-parallel ranks and waits for them; rank 0
 * alone reports the run and writes its directory; an error rank 0 finds (the run directory already holds a run) is
 * every rank's, with the usage exit code. Spawns the real CLI (wasm, a tiny ViViT, a few steps); skips loudly
 * without mpirun or the MPI addon.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { mpiUnavailable } from '@vtx/train';
import { tinyClassifier, wasmRunsDir } from '../../train/test/helpers/tiny.js';

const mpirun = spawnSync('mpirun', ['--version'], { encoding: 'utf8' });
const why = mpirun.error || mpirun.status !== 0 ? 'mpirun not found (openmpi-bin)' : (mpiUnavailable() ?? '');
if (why) console.warn(`SKIPPED vtx train --ranks: ${why}`);

const dir = wasmRunsDir('ranks');
const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

function vtx(args: string[]) {
  return spawnSync(process.execPath, ['--conditions=@vtx/source', '--import', 'tsx', bin, ...args], {
    encoding: 'utf8',
    timeout: 4 * 60_000,
    env: { ...process.env, VTX_BACKEND: 'wasm' },
  });
}

describe.skipIf(!!why)('vtx train --ranks', () => {
  const yaml = join(dir, 'tiny.yaml');
  const out = join(dir, 'run');

  it(
    'trains on 2 ranks under mpirun; rank 0 reports the run and writes it',
    () => {
      const cfg = tinyClassifier(join(dir, 'cache'), {
        data: {
          dataset: { kind: 'synthetic', count: 16, frames: 4, height: 16, width: 16 },
          cacheDir: join(dir, 'cache'),
          batchSize: 8,
          worker: false,
        },
        train: { steps: 4, logEvery: 1, checkpointEvery: 2, ema: { decay: 0.9 } },
      });
      writeFileSync(yaml, YAML.stringify(cfg));
      const r = vtx(['train', '-c', yaml, '--out', out, '--ranks', '2']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.match(/^run: /gm)).toHaveLength(1); // rank 0's report only
      const log = readFileSync(join(out, 'log.jsonl'), 'utf8');
      expect(log).toContain('data parallel: rank 0 of 2');
      expect(log).not.toContain('rank 1 of 2'); // rank 1 never writes the run directory
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
        status: string;
        step: number;
      };
      expect(summary).toMatchObject({ status: 'completed', step: 4 });
    },
    5 * 60_000,
  );

  it(
    'an error rank 0 finds is every rank’s: exit 2, nothing written',
    () => {
      const before = readFileSync(join(out, 'summary.json'), 'utf8');
      const r = vtx(['train', '-c', yaml, '--out', out, '--ranks', '2']);
      expect(r.status).toBe(2);
      expect(r.stderr.match(/already holds a run/g)?.length).toBe(2); // rank 0's message, and rank 1's from it
      expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe(before);
    },
    5 * 60_000,
  );

  it('refuses a rank count that is not a whole number of at least 1', () => {
    const r = vtx(['train', '-c', yaml, '--ranks', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--ranks 0: expected a whole number/);
  });
});
