/**
 * `vtx train --config FILE [--set k=v …] [--out DIR]`, `vtx train --resume RUN_DIR`, and `vtx train --config FILE
 * --smoke` (two steps of everything in a temporary directory: ./smoke.ts).
 */
import { join } from 'node:path';
import { BACKENDS } from '@vtx/core';
import type { CommandModule } from 'yargs';
import { sampleScoring } from '@vtx/eval';
import {
  checkResumeOverrides,
  ExperimentConfig,
  GracefulStop,
  importPlugins,
  loadConfigFile,
  train,
  withPlugins,
} from '@vtx/train';
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
      .conflicts('resume', 'config')
      .conflicts('smoke', ['resume', 'out'])
      .check((a) => {
        if (!a.config && !a.resume) throw new Error('give --config FILE, or --resume RUN_DIR');
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
        '$0 train --resume runs/default --set train.steps=5000',
        'train a run longer (a resumed run accepts train.steps and the every-N cadences)',
      )
      .example(
        '$0 train -c examples/new-model/my-model.yaml --plugin examples/new-model/my-model.ts',
        'a model kind added with registerModel (or list it under plugins: in the YAML)',
      ),
  handler: async (argv) => {
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
