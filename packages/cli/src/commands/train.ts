/**
 * `vtx train --config FILE [--set k=v …] [--out DIR]` and `vtx train --resume RUN_DIR`; `--ranks N` runs the same
 * command as N data-parallel ranks under mpirun on this machine (it starts `mpirun -np N vtx train …` and waits);
 * `vtx train --config FILE --smoke` runs two steps of everything in a temporary directory (./smoke.ts).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BACKENDS } from '@vtx/core';
import { constants } from 'node:os';
import type { CommandModule } from 'yargs';
import { sampleScoring } from '@vtx/eval';
import {
  checkResumeOverrides,
  ExperimentConfig,
  GracefulStop,
  importPlugins,
  launched,
  mpirunCommand,
  startRanks,
  train,
  withPlugins,
} from '@vtx/train';
import { loadConfigFile } from '@vtx/config';
import { report } from './common.js';
import { pluginOption } from './plugin-option.js';
import { smokeLines, smokeTest } from './smoke.js';

interface Args {
  config?: string;
  set: string[];
  out?: string;
  resume?: string;
  backend?: string;
  smoke?: boolean;
  plugin: string[];
  ranks?: number;
}

export const trainCommand: CommandModule<object, Args> = {
  command: 'train',
  describe: 'train a model from a YAML experiment config, or resume a run',
  builder: (y) =>
    y
      .option('config', { alias: 'c', type: 'string', describe: 'experiment config (YAML)' })
      .option('set', {
        type: 'string',
        array: true,
        default: [],
        describe: 'override a key: --set optim.lr=3e-4 (value parsed as YAML)',
      })
      .option('out', { type: 'string', describe: 'run directory (default runs/<name>)' })
      .option('resume', {
        type: 'string',
        describe: 'continue the run in this directory from its newest good checkpoint',
      })
      .option('backend', {
        type: 'string',
        choices: BACKENDS,
        describe:
          'tfjs backend: tensorflow | webgpu | native | wasm | cpu (default: the fastest that starts; webgpu on a software adapter only when named)',
      })
      .option('smoke', {
        type: 'boolean', // no default: yargs counts a default as given in .conflicts
        describe:
          'validate the config and run two steps of everything (train, eval, samples, checkpoint, resume) in a temporary directory; nothing is kept',
      })
      .option('plugin', pluginOption)
      .option('ranks', {
        type: 'number',
        describe:
          'train data-parallel on N ranks of this machine (starts mpirun -np N; data.batchSize is the global batch)',
      })
      .conflicts('resume', 'config')
      .conflicts('smoke', ['resume', 'out', 'ranks'])
      .check((a) => {
        if (!a.config && !a.resume) throw new Error('give --config FILE, or --resume RUN_DIR');
        if (a.ranks !== undefined && !(Number.isInteger(a.ranks) && a.ranks >= 1))
          throw new Error(`--ranks ${a.ranks}: expected a whole number of ranks, 1 or more`);
        return true;
      })
      .example(
        '$0 train --config configs/default.yaml',
        'the default tiny video DiT on built-in bouncing shapes',
      )
      .example(
        '$0 train -c configs/vivit/factorised-encoder.yaml --set optim.lr=1e-3 --set train.steps=200',
        'override keys',
      )
      .example(
        '$0 train --config configs/default.yaml --smoke',
        'check a config end to end in seconds, keep nothing',
      )
      .example('$0 train --resume runs/default', 'continue an interrupted run')
      .example(
        '$0 train -c configs/default.yaml --ranks 2',
        'data-parallel on 2 ranks (mpirun; or mpirun -np 2 vtx train …)',
      )
      .example(
        '$0 train --resume runs/default --set train.steps=5000',
        'train a run longer (a resumed run accepts train.steps and the every-N cadences)',
      )
      .example(
        '$0 train -c examples/new-model/my-model.yaml --plugin examples/new-model/my-model.ts',
        'a model kind added with registerModel (or list it under plugins: in the YAML)',
      ),
  handler: async (argv) => {
    if ((argv.ranks ?? 1) > 1 && launched().size === 1) {
      process.exitCode = await underMpirun(argv.ranks!);
      return;
    }
    const stop = new GracefulStop();
    const uninstall = stop.install();
    const hooks = {
      signal: stop.signal,
      onStep: stop.onStep,
      onCheckpoint: stop.onCheckpoint,
      samples: sampleScoring,
    };
    try {
      const overrides = [...argv.set, ...(argv.backend ? [`backend=${argv.backend}`] : [])];
      const plugins = await importPlugins(argv.plugin); // before the config names their kinds
      if (argv.resume) {
        checkResumeOverrides(argv.set); // the length and cadences only: the steps done stay as they were
        const cfg = withPlugins(
          await loadConfigFile(join(argv.resume, 'config.yaml'), ExperimentConfig, overrides),
          plugins,
        );
        await train(cfg, { out: argv.resume, resume: true, ...hooks });
      } else {
        const cfg = withPlugins(await loadConfigFile(argv.config!, ExperimentConfig, overrides), plugins);
        if (argv.smoke) {
          const r = await smokeTest(cfg, plugins, { ...hooks, terminal: process.stderr });
          process.stdout.write(smokeLines(argv.config!, r));
          return;
        }
        const summary = await train(cfg, { ...(argv.out ? { out: argv.out } : {}), ...hooks });
        if (!startRanks().writes) return; // data-parallel ranks > 0: rank 0 reports the run
        process.stdout.write(
          `\nrun: ${summary.runDir}\n  metrics: ${join(summary.runDir, 'metrics.jsonl')}\n  checkpoint: ${summary.checkpoint}\n` +
            (summary.samples.length ? `  samples: ${summary.samples.join(', ')}\n` : '') +
            `  plot: pnpm vtx plot ${summary.runDir}\n`,
        );
      }
    } catch (e) {
      report(e);
    } finally {
      uninstall();
    }
  },
};

/** This same command line (less `--ranks`) as `ranks` processes under mpirun; resolves with mpirun's exit code. */
function underMpirun(ranks: number): Promise<number> {
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => a === '--ranks' || a.startsWith('--ranks='));
  args.splice(at, args[at]!.includes('=') ? 1 : 2);
  const self = [process.execPath, ...process.execArgv, process.argv[1]!, ...args];
  const { file, args: mpiArgs, env } = mpirunCommand(ranks, self);
  return new Promise((resolve) => {
    const child = spawn(file, mpiArgs, { stdio: 'inherit', env: { ...process.env, ...env } });
    // Ctrl-C reaches mpirun and the ranks from the terminal (this process waits for them); a SIGTERM sent to this
    // process is passed on to mpirun
    const forward = () => child.kill('SIGTERM');
    const wait = () => undefined;
    process.on('SIGTERM', forward).on('SIGINT', wait);
    child.on('error', (e) => {
      process.stderr.write(
        `error: --ranks ${ranks}: could not start mpirun (${e.message}); install openmpi-bin\n`,
      );
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', forward).off('SIGINT', wait);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
