/**
 * The sweep file (`vtx sweep <sweep.yaml>`): a base experiment config and axes over its dotted keys.
 *
 *   name: dit-scaling
 *   base: ../default.yaml              # experiment config, relative to this file
 *   set: { train.steps: 200 }          # fixed overrides for every run
 *   grid:                              # cartesian product of the axes (DiT's S/B x patch grid)
 *     model.size: [S, B]
 *     model.patch: [[1, 8, 8], [1, 4, 4]]
 *   runs:                              # and/or an explicit list; each entry is combined with every grid point
 *     - { model.attention: joint }
 *     - { model.attention: factorised }
 *   seeds: [0, 1]                      # each run once per seed (sets `seed`)
 *   launcher: { kind: local, workers: auto }   # or { kind: slurm, partition: gpu, cpusPerTask: 4 }
 *
 * Keys are dotted paths into the experiment config (`optim.lr`, `model.patch.0`); values are whatever the key takes.
 */
import { z } from 'zod';

/** One assignment of dotted keys to values. */
export const Assignment = z.record(z.string(), z.unknown());
export type Assignment = z.infer<typeof Assignment>;

export const LocalLauncher = z.strictObject({
  kind: z.literal('local'),
  /** Runs at once; 'auto' = the machine's available parallelism divided by `threadsPerRun`. */
  workers: z.union([z.literal('auto'), z.number().int().positive()]).default('auto'),
  /** Cores one run is expected to keep busy (sizes the 'auto' pool). */
  threadsPerRun: z.number().int().positive().default(1),
});

export type LocalLauncher = z.infer<typeof LocalLauncher>;

export const SlurmLauncher = z.strictObject({
  kind: z.literal('slurm'),
  partition: z.string().optional(),
  cpusPerTask: z.number().int().positive().default(1),
  /** Memory per task, e.g. '4G' (sbatch --mem). */
  mem: z.string().optional(),
  /** Wall-clock limit per task, e.g. '01:00:00' (sbatch --time). */
  time: z.string().optional(),
  gpus: z.number().int().nonnegative().default(0),
  /** At most this many array tasks at once (sbatch --array=…%N). */
  maxParallel: z.number().int().positive().optional(),
  /** Extra `#SBATCH` lines, e.g. ['--account=proj', '--qos=short']. */
  extra: z.array(z.string()).default([]),
  /** Shell lines run before the task (module loads, venv activation). */
  setup: z.array(z.string()).default([]),
  /** Seconds between squeue polls while waiting. */
  pollSeconds: z.number().positive().default(2),
});

export type SlurmLauncher = z.infer<typeof SlurmLauncher>;

export const Launcher = z.discriminatedUnion('kind', [LocalLauncher, SlurmLauncher]);
export type Launcher = z.infer<typeof Launcher>;

export const SweepConfig = z
  .strictObject({
    /** Sweep name: names the sweep directory (letters, digits, '.', '_', '-'). */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "use letters, digits, '.', '_' and '-'"),
    /** The experiment config every run starts from, relative to the sweep file. */
    base: z.string().min(1),
    /** Overrides applied to every run (before the axes). */
    set: Assignment.default({}),
    /** Axes: dotted key -> list of values; the runs are their cartesian product. */
    grid: z.record(z.string(), z.array(z.unknown()).min(1)).default({}),
    /** Explicit runs (each a set of dotted keys), each combined with every grid point. */
    runs: z.array(Assignment).default([]),
    /** Seeds; each run once per seed. Empty: the base config's seed, not named. */
    seeds: z.array(z.number().int().nonnegative()).default([]),
    launcher: Launcher.prefault({ kind: 'local' }),
  })
  .refine((s) => !Object.keys(s.grid).some((k) => k === 'seed') || s.seeds.length === 0, {
    message: "give seeds either as 'seeds:' or as a 'seed' grid axis, not both",
  });
export type SweepConfig = z.infer<typeof SweepConfig>;
export type SweepConfigInput = z.input<typeof SweepConfig>;
