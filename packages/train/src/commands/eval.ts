/** `vtx eval <run>`: evaluate a run's newest checkpoint (EMA weights) on its evaluation data. */
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { startBackend } from '../backend.js';
import { latestCheckpoint } from '../checkpoint/index.js';
import { loadConfigFile } from '../config/index.js';
import { ExperimentConfig } from '../experiment.js';
import { Trainer } from '../trainer.js';
import { report } from './common.js';

interface Args {
  run: string;
  set: string[];
  json: boolean;
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
      .option('json', { type: 'boolean', default: false })
      .example('$0 eval runs/vivit-tiny --set eval.batches=32', 'a longer evaluation'),
  handler: async (argv) => {
    try {
      const cfg = await loadConfigFile(join(argv.run, 'config.yaml'), ExperimentConfig, argv.set);
      await startBackend(cfg.backend);
      const ckpt = await latestCheckpoint(join(argv.run, 'checkpoints'));
      if (!ckpt) throw new Error(`${argv.run}: no complete checkpoint`);
      const trainer = await Trainer.create(cfg);
      await trainer.restore(ckpt);
      const metrics = await trainer.evaluate();
      await trainer.close();
      const out = { run: argv.run, checkpoint: ckpt, step: trainer.step, ...metrics };
      process.stdout.write(
        argv.json
          ? `${JSON.stringify(out)}\n`
          : `${Object.entries(out)
              .map(([k, v]) => `${k}: ${v}`)
              .join('\n')}\n`,
      );
    } catch (e) {
      report(e);
    }
  },
};
