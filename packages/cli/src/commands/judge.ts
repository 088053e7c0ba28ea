/**
 * `vtx judge train --config FILE`: the same as `vtx train --config FILE` (a judge is an ordinary run: an attribute
 * classifier, or a ViT/ViViT classifier), kept so that scripts written before judges were ordinary runs still work.
 * `vtx judge score <judge-run> <gen-run>`: attribute (or class) accuracy, Fréchet distance (judge features) with its
 * real-vs-real floor and the ratio to it, and framing of a generative run's samples, against reference rows (default:
 * the generative run's evaluation data).
 */
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { parse } from 'yaml';
import { loadRun, setMatmulPrecision, startBackend } from '@vtx/train';
import { loadJudge, scoreRun } from '@vtx/eval';
import { UsageError, guidanceIntervalFlag, guidanceIntervalOption, parseClip, report } from './common.js';
import { trainCommand } from './train.js';
import { writeFileAtomic } from '@vtx/runs';

interface Args {
  action: 'train' | 'score';
  judgeRun?: string;
  genRun?: string;
  config?: string;
  set: string[];
  out?: string;
  data?: string;
  count: number;
  caption?: 'descriptive' | 'terse';
  expand: boolean;
  size?: string;
  steps?: string;
  cfgScale?: number;
  guidanceInterval?: number[];
  seed: number;
  name: string;
}

export const judgeCommand: CommandModule<object, Args> = {
  command: 'judge <action> [judge-run] [gen-run]',
  describe: 'score a generative run with a judge run (judge train: the same as vtx train)',
  builder: (y) =>
    y
      .positional('action', { choices: ['train', 'score'] as const, demandOption: true })
      .positional('judge-run', {
        type: 'string',
        describe: 'score: the judge run (an attribute classifier, or a ViT/ViViT/ConvNet classification run)',
      })
      .positional('gen-run', { type: 'string', describe: 'score: the diffusion run to sample and judge' })
      .option('config', {
        alias: 'c',
        type: 'string',
        describe: "train: the judge's experiment config (YAML)",
      })
      .option('set', {
        type: 'string',
        array: true,
        default: [],
        describe: 'train: override a key (YAML value)',
      })
      .option('out', { type: 'string', describe: 'train: run directory (default runs/<name>)' })
      .option('data', {
        type: 'string',
        describe:
          "score: reference data as inline YAML data fields, e.g. '{dataset: {kind: synthetic, seed: 2}}'",
      })
      .option('count', { type: 'number', default: 32, describe: 'score: samples (and reference clips)' })
      .option('caption', { choices: ['descriptive', 'terse'] as const, describe: 'score: prompt column' })
      .option('expand', {
        type: 'boolean',
        default: false,
        describe: 'score: expand prompts before sampling',
      })
      .option('size', {
        type: 'string',
        describe: 'score: sample size T,H,W (model input; latent size for latents)',
      })
      .option('steps', { type: 'string', describe: 'score: sampling steps, e.g. ddim25' })
      .option('cfg-scale', { type: 'number' })
      .option('guidance-interval', {
        ...guidanceIntervalOption,
        describe: `score: ${guidanceIntervalOption.describe}`,
      })
      .option('seed', { type: 'number', default: 0 })
      .option('name', {
        type: 'string',
        default: 'judge',
        describe: 'score: writes <gen-run>/<name>.json and .gif',
      })
      .example('$0 train --config configs/sora/ablations/judge.yaml', 'train the judge (an ordinary run)')
      .example('$0 judge score runs/sora-judge runs/sora-t2v-terse --count 32', 'score a run'),
  handler: async (argv) => {
    try {
      if (argv.action === 'train') {
        if (!argv.config)
          throw new UsageError('judge train needs --config FILE (it is vtx train --config FILE)');
        const { config, set, out } = argv;
        return await trainCommand.handler({
          config,
          set,
          ...(out ? { out } : {}),
          plugin: [],
          _: [],
          $0: '',
        });
      }
      if (!argv.judgeRun || !argv.genRun) throw new UsageError('judge score needs <judge-run> <gen-run>');
      const guidanceInterval = guidanceIntervalFlag(argv.guidanceInterval);
      await startBackend();
      const judge = await loadJudge(argv.judgeRun);
      const gen = await loadRun(argv.genRun);
      await setMatmulPrecision(gen.cfg.matmulPrecision); // sample with the GEMM the run trained with
      const data = argv.data
        ? { ...gen.cfg.data, ...(parse(argv.data) as Record<string, unknown>) }
        : { ...gen.cfg.data, ...gen.cfg.eval.data };
      const size = parseClip(argv.size ? `${argv.size},1` : undefined, '--size');
      const score = await scoreRun(argv.genRun, judge, {
        data,
        count: argv.count,
        expand: argv.expand,
        seed: argv.seed,
        stem: join(argv.genRun, 'samples', argv.name),
        ...(argv.caption ? { caption: argv.caption } : {}),
        ...(size ? { size: [size[0], size[1], size[2]] as [number, number, number] } : {}),
        ...(argv.steps ? { steps: argv.steps } : {}),
        ...(argv.cfgScale !== undefined ? { cfgScale: argv.cfgScale } : {}),
        ...(guidanceInterval ? { guidanceInterval } : {}),
      });
      const file = join(argv.genRun, `${argv.name}.json`);
      await writeFileAtomic(file, `${JSON.stringify({ judge: argv.judgeRun, ...score }, null, 2)}\n`);
      const acc = Object.entries(score.accuracy)
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(', ');
      const floor =
        score.frechetFloor === null
          ? `not computed (the reference data has fewer than 2 x ${score.count} rows)`
          : `${score.frechetFloor.toFixed(3)} (real vs real, ${score.count} clips each)`;
      const ratio = score.frechetRatio === null ? '' : `frechet ratio: ${score.frechetRatio.toFixed(2)}\n`;
      process.stdout.write(
        `accuracy: ${acc}\nfrechet: ${score.frechet.toFixed(3)}\nfrechet floor: ${floor}\n${ratio}` +
          `framing: ${score.framing.toFixed(3)}\n${file}\n`,
      );
    } catch (e) {
      report(e);
    }
  },
};
