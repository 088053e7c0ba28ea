/** `vtx train --config FILE [--set k=v …] [--out DIR]` and `vtx train --resume RUN_DIR`. */
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { sampleScoring } from '@vtx/eval';
import { loadConfigFile, ExperimentConfig, importPlugins, withPlugins, train } from '@vtx/train';
import { UsageError, report } from './common.js';
import { pluginOption } from './plugin-option.js';

interface Args {
  config?: string;
  set: string[];
  out?: string;
  resume?: string;
  backend?: string;
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
        describe: 'continue the run in this directory from its newest checkpoint',
      })
      .option('backend', {
        type: 'string',
        describe: 'tfjs backend: tensorflow | native | wasm | cpu (default: the fastest that starts)',
      })
      .option('plugin', pluginOption)
      .conflicts('resume', 'config')
      .check((a) => {
        if (!a.config && !a.resume) throw new Error('give --config FILE, or --resume RUN_DIR');
        return true;
      })
      .example(
        '$0 train --config configs/default.yaml',
        'the default tiny video DiT on built-in bouncing shapes',
      )
      .example(
        '$0 train -c configs/vivit-tiny.yaml --set optim.lr=1e-3 --set train.steps=200',
        'override keys',
      )
      .example('$0 train --resume runs/default', 'continue an interrupted run')
      .example(
        '$0 train -c my-model.yaml --plugin ./my-model.ts',
        'a model kind added with registerModel (or list it under plugins: in the YAML)',
      ),
  handler: async (argv) => {
    const stop = new AbortController();
    const onSignal = (sig: string) => {
      if (stop.signal.aborted) process.exit(130);
      process.stderr.write(
        `\n${sig}: stopping after this step and writing a checkpoint (again to quit now)\n`,
      );
      stop.abort();
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    try {
      const overrides = [...argv.set, ...(argv.backend ? [`backend=${argv.backend}`] : [])];
      const plugins = await importPlugins(argv.plugin); // before the config names their kinds
      if (argv.resume) {
        if (argv.set.length)
          throw new UsageError('--set cannot change a run being resumed; start a new run instead');
        const cfg = withPlugins(
          await loadConfigFile(join(argv.resume, 'config.yaml'), ExperimentConfig, overrides),
          plugins,
        );
        await train(cfg, { out: argv.resume, resume: true, signal: stop.signal, samples: sampleScoring });
      } else {
        const cfg = withPlugins(await loadConfigFile(argv.config!, ExperimentConfig, overrides), plugins);
        const summary = await train(cfg, {
          ...(argv.out ? { out: argv.out } : {}),
          signal: stop.signal,
          samples: sampleScoring,
        });
        process.stdout.write(
          `\nrun: ${summary.runDir}\n  metrics: ${join(summary.runDir, 'metrics.jsonl')}\n  checkpoint: ${summary.checkpoint}\n` +
            (summary.samples.length ? `  samples: ${summary.samples.join(', ')}\n` : '') +
            `  plot: pnpm vtx plot ${summary.runDir}\n`,
        );
      }
    } catch (e) {
      report(e);
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    }
  },
};
