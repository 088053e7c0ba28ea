/**
 * `vtx eval <run>`: evaluate a run's newest checkpoint (EMA weights) on its evaluation data; with `eval.judge` (or
 * `--judge DIR`) a diffusion run's samples are scored too, a VAE run writes `samples/recon-step-N.gif|png`, and a
 * classifier writes `eval/classes-step-N.json` (per-class accuracy, confusion matrix) and shows it.
 */
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import {
  startBackend,
  humanNumber,
  ExperimentConfig,
  importPlugins,
  Trainer,
  classReportFile,
  type ClassReport,
} from '@vtx/train';
import { latestCheckpoint } from '@vtx/checkpoint';
import { loadConfigFile } from '@vtx/config';
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
      await startBackend(cfg.backend, undefined, cfg.matmulPrecision);
      const ckpt = await latestCheckpoint(join(argv.run, 'checkpoints'));
      if (!ckpt) throw new Error(`${argv.run}: no complete checkpoint`);
      const trainer = await Trainer.create(cfg, null, sampleScoring);
      let metrics: Record<string, number>;
      const reportsDir = join(argv.run, 'eval');
      try {
        await trainer.restore(ckpt);
        metrics = await trainer.evaluate({ judge: true, samplesDir: join(argv.run, 'samples'), reportsDir });
      } finally {
        await trainer.close();
      }
      const out = { run: argv.run, checkpoint: ckpt, step: trainer.step, ...metrics };
      const classes = trainer.classes;
      const classesFile = classes ? classReportFile(reportsDir, trainer.step) : null;
      process.stdout.write(
        argv.json
          ? `${JSON.stringify(classes ? { ...out, classesFile, classes } : out)}\n`
          : `${Object.entries(out)
              .map(([k, v]) => `${k}: ${typeof v === 'number' ? humanNumber(v) : v}`)
              .join('\n')}\n${classes ? classLines(classes, classesFile!) : ''}`,
      );
    } catch (e) {
      report(e);
    }
  },
};

/** Classes shown in a confusion matrix on the terminal at most; larger ones are only in the JSON file. */
const MATRIX_CLASSES = 20;

/** Per-class accuracy lines and, for a few classes, the confusion matrix (rows: true class, columns: predicted). */
export function classLines(r: ClassReport, file: string): string {
  const width = Math.max(...r.classes.map((n) => n.length));
  const lines = [`per-class accuracy (correct / clips), confusion matrix in ${file}:`];
  for (const c of r.perClass)
    lines.push(
      `  ${c.name.padEnd(width)}  ${c.accuracy === null ? '-' : humanNumber(c.accuracy)} (${c.correct} / ${c.clips})`,
    );
  if (r.classes.length <= MATRIX_CLASSES) {
    const cell = Math.max(3, ...r.confusion.flat().map((v) => String(v).length));
    lines.push(
      `confusion matrix (rows: true class, columns: predicted class ${r.classes.map((_, k) => k).join(', ')}):`,
    );
    r.confusion.forEach((row, k) =>
      lines.push(`  ${r.classes[k]!.padEnd(width)} ${row.map((v) => String(v).padStart(cell)).join(' ')}`),
    );
  }
  return `${lines.join('\n')}\n`;
}
