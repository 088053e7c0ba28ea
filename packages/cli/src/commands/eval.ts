/**
 * `vtx eval <run>`: evaluate a run's newest checkpoint (EMA weights) on its evaluation data; with `eval.judge` (or
 * `--judge DIR`) a diffusion run's samples are scored too, and a VAE run writes `samples/recon-step-N.gif|png`.
 */
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import {
  startBackend,
  humanNumber,
  latestCheckpoint,
  loadConfigFile,
  ExperimentConfig,
  importPlugins,
  Trainer,
} from '@vtx/train';
import { checkJudgeConfig, sampleScoring } from '@vtx/eval';
import { report } from './common.js';
import { pluginOption } from './plugin-option.js';

interface Args {
  run: string;
  set: string[];
  judge?: string;
  json: boolean;
  plugin: string[];
}

export const evalCommand: CommandModule<object, Args> = {
  command: 'eval <run>',
  describe:
    "evaluate a run's newest checkpoint on its evaluation data (loss, top-1/top-5 or per-timestep loss)",
  builder: (y) =>
    y
      .positional('run', { type: 'string', demandOption: true })
      .option('set', {
        type: 'string',
        array: true,
        default: [],
        describe: 'override eval keys, e.g. --set eval.batches=16',
      })
      .option('judge', {
        type: 'string',
        describe:
          'diffusion runs: score samples with this judge run (sets eval.judge.run): sample/frechet and accuracy',
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'one JSON line, every digit (default: a line per metric, 4 significant digits)',
      })
      .option('plugin', pluginOption)
      .example('$0 eval runs/vivit-factorised-encoder --set eval.batches=32', 'a longer evaluation')
      .example('$0 eval runs/default --judge runs/shapes-judge', 'sample quality with a judge'),
  handler: async (argv) => {
    try {
      const file = join(argv.run, 'config.yaml');
      const overrides = [
        ...argv.set,
        ...(argv.judge !== undefined ? [{ path: ['eval', 'judge', 'run'], value: argv.judge }] : []),
      ];
      await importPlugins(argv.plugin); // more than the run's own (its config.yaml lists those)
      const cfg = await loadConfigFile(file, ExperimentConfig, overrides);
      await checkJudgeConfig(cfg, argv.judge !== undefined ? '--judge' : file);
      await startBackend(cfg.backend);
      const ckpt = await latestCheckpoint(join(argv.run, 'checkpoints'));
      if (!ckpt) throw new Error(`${argv.run}: no complete checkpoint`);
      const trainer = await Trainer.create(cfg, null, sampleScoring);
      let metrics: Record<string, number>;
      try {
        await trainer.restore(ckpt);
        metrics = await trainer.evaluate({ judge: true, samplesDir: join(argv.run, 'samples') });
      } finally {
        await trainer.close();
      }
      const out = { run: argv.run, checkpoint: ckpt, step: trainer.step, ...metrics };
      process.stdout.write(
        argv.json
          ? `${JSON.stringify(out)}\n`
          : `${Object.entries(out)
              .map(([k, v]) => `${k}: ${typeof v === 'number' ? humanNumber(v) : v}`)
              .join('\n')}\n`,
      );
    } catch (e) {
      report(e);
    }
  },
};
