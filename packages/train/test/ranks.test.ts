/**
 * A data-parallel process's place (./ranks.ts): the threads each rank's native backend gets, the config a rank
 * trains and the one the run directory records, and the mpirun command `vtx train --ranks` starts.
 */
import { describe, expect, it } from 'vitest';
import { ExperimentConfig } from '@vtx/train';
import { mpirunCommand, rankConfig, ranksThreads, worldConfig, type Ranks } from '../src/ranks.js';

describe('ranks', () => {
  it('divides the cores between the ranks on a machine, unless the user or Slurm said otherwise', () => {
    const env: Record<string, string | undefined> = {};
    expect(ranksThreads(env, 2, 16)).toMatch(/VTX_THREADS=8 \(16 cores \/ 2 ranks/);
    expect(env['VTX_THREADS']).toBe('8');
    const few: Record<string, string | undefined> = {};
    ranksThreads(few, 4, 2);
    expect(few['VTX_THREADS']).toBe('1'); // never 0
    const user = { VTX_THREADS: '3' };
    expect(ranksThreads(user, 2, 16)).toMatch(/set by the user/);
    expect(user.VTX_THREADS).toBe('3');
    const slurm: Record<string, string | undefined> = { SLURM_CPUS_PER_TASK: '4' };
    ranksThreads(slurm, 2, 64);
    expect(slurm['VTX_THREADS']).toBe('4');
  });

  it('a rank trains its rows; the run directory records one process’s split', () => {
    const cfg = ExperimentConfig.parse({
      name: 'x',
      data: { dataset: { kind: 'synthetic', count: 8 } },
      model: { kind: 'vit', size: 'Ti', numClasses: 2 },
    });
    const two = { dp: null, rank: 1, size: 2, writes: false, notice: '' } satisfies Ranks;
    const mine = rankConfig(cfg, two);
    expect(mine.data.dataParallel).toEqual({ rank: 1, ranks: 2 });
    expect(worldConfig(mine).data.dataParallel).toEqual({ rank: 0, ranks: 1 });
    expect(rankConfig(cfg, { ...two, rank: 0, size: 1 })).toBe(cfg);
  });

  it('starts mpirun unbound, with root’s OpenMPI variables only as root', () => {
    const root = mpirunCommand(2, ['node', 'cli.js', 'train'], 0);
    expect(root.file).toBe('mpirun');
    expect(root.args).toEqual([
      '-np',
      '2',
      '--bind-to',
      'none',
      '--oversubscribe',
      'node',
      'cli.js',
      'train',
    ]);
    expect(root.env).toEqual({ OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' });
    expect(mpirunCommand(2, ['x'], 1000).env).toEqual({});
  });
});
