/**
 * `vtx sweep <sweep.yaml>` runs a sweep (local process pool or a Slurm job array); `vtx sweep report <dir>` tables,
 * fits and charts it; `vtx sweep status <dir>` shows each stage's and run's state; `vtx sweep task <dir> <index>`
 * runs one run in this process (what each Slurm array task executes), `vtx sweep task <dir> --stage <name>` one stage.
 */
import type { Argv, CommandModule } from 'yargs';
import {
  describeFit,
  runSweep,
  runSweepStage,
  runSweepTask,
  stageStates,
  sweepReport,
  sweepStates,
  queuedTasks,
} from '@vtx/lab';
import { launched } from '@vtx/train';
import { EXIT, UsageError, report } from './common.js';
import { smokeSweep, smokeSweepLine } from './smoke.js';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

const say = (line: string) => process.stderr.write(`${line}\n`);

function onSignals(): { signal: AbortSignal; off: () => void } {
  const stop = new AbortController();
  const handler = (sig: string) => {
    if (stop.signal.aborted) process.exit(130);
    say(`\n${sig}: stopping (runs write a final checkpoint; again to quit now)`);
    stop.abort();
  };
  process.on('SIGINT', handler).on('SIGTERM', handler);
  return { signal: stop.signal, off: () => process.off('SIGINT', handler).off('SIGTERM', handler) };
}

const runCmd: CommandModule<
  object,
  { file: string; out?: string; launcher?: string; wait: boolean; set: string[]; smoke?: boolean }
> = {
  command: '$0 <file>',
  describe:
    'run a sweep: validate every run, then launch them (skips finished runs, resumes interrupted ones)',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'sweep file (YAML)' })
      .option('out', { type: 'string', describe: 'sweep directory (default runs/sweeps/<name>)' })
      .option('launcher', {
        type: 'string',
        choices: ['local', 'slurm'],
        describe: "override the file's launcher",
      })
      .option('wait', {
        type: 'boolean',
        default: true,
        describe: 'slurm: wait for the job array to finish',
      })
      .option('set', {
        type: 'string',
        array: true,
        default: [],
        describe:
          "override a key of every run (not stages), after the file's set, e.g. --set train.steps=50; a key the sweep varies is an error. Runs already started keep their config: use a fresh --out",
      })
      .option('smoke', {
        type: 'boolean', // no default: yargs counts a default as given in .conflicts
        describe:
          'validate the sweep and smoke-test every stage and run (vtx train --smoke: two steps of everything) in a temporary directory; nothing is kept',
      })
      .conflicts('smoke', ['out', 'launcher'])
      .example('$0 sweep configs/sweeps/tiny.yaml --smoke', 'check every run of a sweep end to end first')
      .example(
        '$0 sweep configs/sweeps/tiny.yaml --set train.steps=50 --out short/tiny',
        'every run shortened to 50 steps, in a directory of its own',
      ),
  handler: async (argv) => {
    const { signal, off } = onSignals();
    try {
      if (argv.smoke) {
        const r = await smokeSweep(argv.file, argv.set, { signal, terminal: process.stderr }, say);
        process.stdout.write(smokeSweepLine(argv.file, r));
        return;
      }
      const r = await runSweep(argv.file, {
        ...(argv.out ? { out: argv.out } : {}),
        ...(argv.launcher ? { launcher: argv.launcher as 'local' | 'slurm' } : {}),
        wait: argv.wait,
        ...(argv.set.length ? { set: argv.set } : {}),
        signal,
        onEvent: say,
      });
      const failed = [...(r.stageOutcomes ?? []), ...(r.outcomes ?? [])].filter((o) => o.result === 'failed');
      const left = r.states.filter((s) => s.state !== 'completed');
      const stagesLeft = r.stageStates.filter((s) => s.state !== 'completed');
      process.stdout.write(
        `sweep ${r.plan.name}: ${r.states.length - left.length}/${r.states.length} runs completed in ${r.dir}\n` +
          (stagesLeft.length
            ? `  stages not completed: ${stagesLeft.map((s) => `${s.name} (${s.state})`).join(', ')}\n`
            : '') +
          (left.length ? `  not completed: ${left.map((s) => `${s.name} (${s.state})`).join(', ')}\n` : '') +
          `  report: pnpm vtx sweep report ${r.dir}\n`,
      );
      if (failed.length || (left.length && !signal.aborted && argv.wait)) process.exitCode = EXIT.failure;
    } catch (e) {
      report(e);
    } finally {
      off();
    }
  },
};

const reportCmd: CommandModule<object, { dir: string; out?: string; metric?: string; png: boolean }> = {
  command: 'report <dir>',
  describe: 'table (Markdown, CSV), power-law fits and charts of a sweep',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'sweep directory' })
      .option('out', { type: 'string', describe: 'output directory (default <dir>/report)' })
      .option('metric', { type: 'string', describe: "metric to fit (default val/loss, else 'finalLoss')" })
      .option('png', { type: 'boolean', default: true, describe: 'also write PNGs' }),
  handler: async (argv) => {
    try {
      const r = await sweepReport(argv.dir, {
        ...(argv.out ? { out: argv.out } : {}),
        ...(argv.metric ? { metric: argv.metric } : {}),
        png: argv.png,
      });
      process.stdout.write(`${r.fits.map((f) => describeFit(f)).join('\n')}\n${r.files.join('\n')}\n`);
    } catch (e) {
      report(e);
    }
  },
};

const statusCmd: CommandModule<object, { dir: string }> = {
  command: 'status <dir>',
  describe: 'state of every run of a sweep (and its Slurm tasks still queued)',
  builder: (y) => y.positional('dir', { type: 'string', demandOption: true }),
  handler: async (argv) => {
    try {
      const states = await sweepStates(argv.dir);
      const stages = await stageStates(argv.dir);
      const jobs = await fs
        .readFile(join(argv.dir, 'slurm', 'jobs.jsonl'), 'utf8')
        .then((t) =>
          t
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as { jobId: string }),
        )
        .catch(() => []);
      const last = jobs.at(-1);
      const queued = last ? await queuedTasks(last.jobId) : new Map<string, string>();
      const lines = [
        ...stages.map((s) => `${s.state.padEnd(11)} stage ${s.name}`),
        ...states.map((s, i) => {
          const q = queued.get(String(i));
          return `${s.state.padEnd(11)} ${s.name}${q ? `  [slurm ${last!.jobId}_${i}: ${q}]` : ''}`;
        }),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    } catch (e) {
      report(e);
    }
  },
};

const taskCmd: CommandModule<object, { dir: string; index?: number; stage?: string }> = {
  command: 'task <dir> [index]',
  describe: false, // hidden: run by each Slurm array task (and each stage job, with --stage)
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true })
      .positional('index', { type: 'number' })
      .option('stage', { type: 'string', describe: 'run this stage instead of a run' }),
  handler: async (argv) => {
    const { signal, off } = onSignals();
    try {
      if ((argv.index === undefined) === (argv.stage === undefined))
        throw new UsageError('sweep task: give a run index or --stage <name> (one of them)');
      const s =
        argv.stage !== undefined
          ? await runSweepStage(argv.dir, argv.stage, { signal })
          : await runSweepTask(argv.dir, argv.index!, { signal });
      // a data-parallel task (launcher.ntasks > 1) runs this on every rank: rank 0 says how the run ended
      if (s && launched().rank === 0)
        process.stdout.write(`run ${s.name}: ${s.status} at step ${s.step}/${s.steps}\n`);
      if (s && s.status !== 'completed') process.exitCode = EXIT.failure;
    } catch (e) {
      report(e);
    } finally {
      off();
    }
  },
};

export const sweepCommand: CommandModule = {
  command: 'sweep',
  describe: 'run a sweep of configs (local pool or Slurm job array); report, status',
  builder: (y: Argv) =>
    y
      .command(reportCmd)
      .command(statusCmd)
      .command(taskCmd)
      .command(runCmd)
      .example('$0 sweep configs/sweeps/tiny.yaml', 'run a sweep on this machine')
      .example('$0 sweep configs/sweeps/tiny.yaml --launcher slurm', 'submit it as one Slurm job array')
      .example('$0 sweep report runs/sweeps/tiny', 'table, power-law fits and charts'),
  handler: () => {},
};
