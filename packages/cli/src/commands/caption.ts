/**
 * `vtx caption <captioner-run> <dataset> --out <dataset>`: re-caption a dataset with a trained captioner, and
 * `vtx caption --expand "<prompt>"`: expand a short prompt to the descriptive caption style.
 */
import type { CommandModule } from 'yargs';
import { expandPrompt, recaptionDataset } from '@vtx/eval';
import { resolveDatasetArg } from '../dataset-arg.js';
import { UsageError, report } from './common.js';
import { startBackend } from '@vtx/train';

interface Args {
  captioner?: string;
  dataset?: string;
  out?: string;
  expand: string[];
  batch: number;
}

export const captionCommand: CommandModule<object, Args> = {
  command: 'caption [captioner] [dataset]',
  describe:
    're-caption a dataset with a trained captioner (attribute heads -> caption template), or expand prompts',
  builder: (y) =>
    y
      .positional('captioner', { type: 'string', describe: 'captioner run (an attribute classifier run)' })
      .positional('dataset', {
        type: 'string',
        describe: "dataset dir, run dir, or inline YAML '{kind: ...}'",
      })
      .option('out', { type: 'string', describe: 're-captioned dataset directory' })
      .option('expand', {
        type: 'string',
        array: true,
        default: [],
        describe: 'print the descriptive expansion of these short prompts (deterministic) and exit',
      })
      .option('batch', { type: 'number', default: 32 })
      .example('$0 caption runs/sora-captioner data/shapes-terse --out data/shapes-recaptioned', 're-caption')
      .example('$0 caption --expand "a red circle going up"', 'prompt expansion'),
  handler: async (argv) => {
    try {
      if (argv.expand.length) {
        for (const p of argv.expand) process.stdout.write(`${expandPrompt(p).caption}\n`);
        return;
      }
      if (!argv.captioner || !argv.dataset || !argv.out)
        throw new UsageError('give <captioner-run> <dataset> --out DIR, or --expand "prompt"');
      await startBackend();
      const index = await recaptionDataset({
        captionerRun: argv.captioner,
        dataset: await resolveDatasetArg(argv.dataset),
        out: argv.out,
        batchSize: argv.batch,
        log: (l) => process.stderr.write(`\r${l}`),
      });
      const agree =
        index.agreement === null ? '' : `; ${(100 * index.agreement).toFixed(1)}% equal the old caption`;
      process.stdout.write(`\n${argv.out}: ${index.rows} clips re-captioned${agree}\n`);
    } catch (e) {
      report(e);
    }
  },
};
