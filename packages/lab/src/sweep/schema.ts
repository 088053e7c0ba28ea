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
 *   seeds: [0, 1]                      # each run once per seed (sets `seed`; `seedKeys: [seed, data.seed]` sets both)
 *   launcher: { kind: local, workers: auto }   # or { kind: slurm, partition: gpu, cpusPerTask: 4 }
 *
 * Keys are dotted paths into the experiment config (`optim.lr`, `model.patch.0`); values are whatever the key takes.
 * A relative path in this file (`base`, a stage's `base`, a path value in `set`, `runs` or `grid`) means this file's
 * folder, the config path rule (@vtx/config's paths.ts); `vtx sweep --set` paths the working directory.
 *
 * Stages: runs that must finish before the sweep's runs start (an image-pretraining run that every run initialises
 * from). Each is a config (its own `base`, else the sweep's) with overrides; `${stage.<name>}` anywhere in a string
 * value of `set`, `runs`, `grid` or a later stage's `set` becomes that stage's run directory:
 *
 *   stages:
 *     vit: { base: vit-frames.yaml, set: { train.steps: 2000 } }
 *   set: { init.from: '${stage.vit}' }
 *
 * A stage is an ordinary run (`vtx train`), validated before anything starts; a judge the runs score their samples
 * with (`eval.judge: { run: '${stage.judge}' }`) is a stage whose `base` is an attribute classifier's config. A
 * `caption` stage re-captions the runs' training data with a captioner run instead (Sora's re-captioning):
 *
 *   stages:
 *     captioner: { base: captioner.yaml }
 *     recaptioned: { caption: { captioner: '${stage.captioner}' } }
 *   runs:
 *     - { label: recaptioned, set: { data.dataset: '${stage.recaptioned}' } }
 *
 * An explicit run may carry a label, which then names it (and is its `label` axis) instead of its keys:
 *
 *   runs:
 *     - { label: scratch, set: {} }
 *     - { label: central, set: { init.from: '${stage.vit}', init.tubelet: central } }
 */
import { z } from 'zod';
import { RUN_NAME, RUN_NAME_RULE } from '@vtx/runs';
import { resolvePathKeys, setBeforeValidation } from '@vtx/config';

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
  /**
   * Tasks per run: data-parallel ranks that train each run together (`#SBATCH --ntasks`, started by
   * `srun --mpi=<mpi>`; each rank has cpusPerTask cores). Stage jobs keep one task.
   */
  ntasks: z.number().int().positive().default(1),
  /** srun's MPI plugin for runs of more than one task: `pmix` (Debian's slurm-wlm with OpenMPI 4), or `pmi2`. */
  mpi: z.string().default('pmix'),
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

/** A stage or label name: letters, digits, '_' and '-', starting with a letter. */
const StageName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "use letters, digits, '_' and '-'");

/**
 * Re-captioning (`vtx caption` as a stage): a captioner run writes a descriptive caption for every clip of the training
 * data of the sweep's base config (its `data.dataset` after the sweep's `set`). The stage's directory is the
 * re-captioned dataset, which runs then train on with `data.dataset: '${stage.<name>}'`. Resumable like a run: a
 * stage whose dataset is complete (index.json written last, the directory renamed into place) is skipped.
 */
export const CaptionSpec = z.strictObject({
  /**
   * The captioner: an attribute classifier run, usually an earlier stage (`'${stage.captioner}'`); a relative path
   * means the sweep file's folder.
   */
  captioner: z.string().min(1),
  /** Clips per captioner batch. */
  batchSize: z.number().int().positive().default(32),
});
export type CaptionSpec = z.infer<typeof CaptionSpec>;

/**
 * Something that has to complete before the sweep's runs start (resumable: a completed stage is skipped): a training
 * run (`base`, `set`), or a re-captioning of the runs' training data (`caption`).
 */
export const SweepStage = z
  .strictObject({
    /**
     * Its experiment config, relative to the sweep file (default: the sweep's `base`); e.g. a judge's (an attribute
     * classifier or a classifier run, which the runs' `eval.judge: { run: '${stage.<name>}' }` then reads).
     */
    base: z.string().min(1).optional(),
    /** Overrides (dotted keys), applied to its base. */
    set: Assignment.default({}),
    /** Instead of a run: re-caption the runs' training data with a captioner run. */
    caption: CaptionSpec.optional(),
  })
  .refine((s) => !s.caption || (s.base === undefined && Object.keys(s.set).length === 0), {
    message: "a caption stage re-captions the runs' training data: it takes no base or set",
  });
export type SweepStage = z.infer<typeof SweepStage>;

/** An explicit run named by a label instead of by its keys' values. */
export const LabelledRun = z.strictObject({
  label: z.string().regex(RUN_NAME, RUN_NAME_RULE),
  set: Assignment.default({}),
});
export type LabelledRun = z.infer<typeof LabelledRun>;

export const SweepConfig = z
  .strictObject({
    /** Sweep name: names the sweep directory (letters, digits, '.', '_', '-'). */
    name: z.string().regex(RUN_NAME, RUN_NAME_RULE),
    /** The experiment config every run starts from, relative to the sweep file. */
    base: z.string().min(1),
    /** Overrides applied to every run (before the axes). */
    set: Assignment.default({}),
    /** Axes: dotted key -> list of values; the runs are their cartesian product. */
    grid: z.record(z.string(), z.array(z.unknown()).min(1)).default({}),
    /** Explicit runs (each a set of dotted keys, or a label and its keys), each combined with every grid point. */
    runs: z.array(z.union([LabelledRun, Assignment])).default([]),
    /** Runs that complete first, in order; `${stage.<name>}` in a value is the stage's run directory. */
    stages: z.record(StageName, SweepStage).default({}),
    /** Seeds; each run once per seed. Empty: the base config's seed, not named. */
    seeds: z.array(z.number().int().nonnegative()).default([]),
    /** The keys each seed is written to, e.g. [seed, data.seed] to vary the data order with the weights' init. */
    seedKeys: z.array(z.string()).min(1).default(['seed']),
    launcher: Launcher.prefault({ kind: 'local' }),
  })
  .refine((s) => !Object.keys(s.grid).some((k) => k === 'seed') || s.seeds.length === 0, {
    message: "give seeds either as 'seeds:' or as a 'seed' grid axis, not both",
  })
  .refine((s) => !('label' in s.grid), {
    message: "'label' names labelled runs; it cannot be a grid axis",
  });
export type SweepConfig = z.infer<typeof SweepConfig>;
// A sweep file's own paths are made absolute as it loads, by the config path rule (its folder; see the header).
setBeforeValidation(SweepConfig, (value, tree) =>
  Promise.resolve(resolvePathKeys(value, tree, ['base', 'stages.*.base'])),
);
export type SweepConfigInput = z.input<typeof SweepConfig>;
