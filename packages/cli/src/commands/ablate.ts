/** `vtx ablate <name>` runs a paper ablation and writes its report to docs/ablations/<name>/; `--list` lists them. */
import type { CommandModule } from 'yargs';
import { ABLATIONS, ablation, runAblation } from '@vtx/lab';
import { report } from './common.js';
import { smokeSweep, smokeSweepLine } from './smoke.js';

interface Args {
  name?: string;
  list: boolean;
  runs?: string;
  docs?: string;
  reportOnly: boolean;
  set: string[];
  smoke?: boolean;
}

export const ablateCommand: CommandModule<object, Args> = {
  command: 'ablate [name]',
  describe: 'run a paper ablation at small scale and write its report (docs/ablations/<name>/)',
  builder: (y) =>
    y
      .positional('name', {
        type: 'string',
        choices: ABLATIONS.map((a) => a.name),
        describe: 'ablation name (see --list)',
      })
      .option('list', { type: 'boolean', default: false, describe: 'list the ablations' })
      .option('runs', { type: 'string', describe: 'sweep directory root (default runs/ablations)' })
      .option('docs', { type: 'string', describe: 'report root (default docs/ablations)' })
      .option('reportOnly', {
        alias: 'report-only',
        type: 'boolean',
        default: false,
        describe: 're-report an existing sweep',
      })
      .option('set', {
        type: 'string',
        array: true,
        default: [],
        describe:
          'override a key of every run, e.g. --set train.steps=50 (needs --runs and --docs: a changed ablation must not mix with the shipped one)',
      })
      .option('smoke', {
        type: 'boolean',
        describe:
          "smoke-test the ablation's sweep (vtx sweep --smoke: two steps of every stage and run) in a temporary directory; no report",
      })
      .check((a) => {
        if (!a.list && !a.name) throw new Error('give an ablation name, or --list');
        if (a.smoke && (a.reportOnly || a.runs || a.docs))
          throw new Error('--smoke keeps nothing: it takes no --report-only, --runs or --docs');
        if (a.set.length && a.reportOnly)
          throw new Error('--set changes the runs; --report-only runs nothing');
        if (a.set.length && !a.smoke && (!a.runs || !a.docs))
          throw new Error(
            `--set ${a.set[0]}: give --runs and --docs too, so the changed ablation neither resumes the shipped runs nor overwrites docs/ablations`,
          );
        return true;
      })
      .example('$0 ablate --list', 'the ablations and the findings they test')
      .example('$0 ablate dit-conditioning', 'adaLN-Zero vs adaLN vs cross-attention vs in-context')
      .example('$0 ablate dit-conditioning --smoke', 'two steps of each of its runs first, nothing kept')
      .example(
        '$0 ablate dit-conditioning --set train.steps=50 --runs short/runs --docs short/docs',
        'a shortened run of it, kept apart from the shipped report',
      ),
  handler: async (argv) => {
    if (argv.list) {
      for (const a of ABLATIONS)
        process.stdout.write(`${a.name.padEnd(22)} ${a.title}\n${''.padEnd(22)} ${a.paper}\n`);
      return;
    }
    const stop = new AbortController();
    const onSignal = () => (stop.signal.aborted ? process.exit(130) : stop.abort());
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    try {
      if (argv.smoke) {
        const a = ablation(argv.name!);
        const why = a.sweep ? await a.unavailable?.() : 'it has no sweep file';
        if (why) {
          process.stdout.write(`${a.name}: not smoke-tested: ${why}\n`);
          return;
        }
        const say = (l: string) => process.stderr.write(`${l}\n`);
        const r = await smokeSweep(a.sweep, argv.set, { signal: stop.signal, terminal: process.stderr }, say);
        process.stdout.write(smokeSweepLine(`${a.name} (${a.sweep})`, r));
        return;
      }
      const r = await runAblation(argv.name!, {
        ...(argv.runs ? { runs: argv.runs } : {}),
        ...(argv.docs ? { docs: argv.docs } : {}),
        reportOnly: argv.reportOnly,
        ...(argv.set.length ? { set: argv.set } : {}),
        signal: stop.signal,
        onEvent: (l) => process.stderr.write(`${l}\n`),
      });
      if (r.unavailable) process.stdout.write(`${r.ablation.name}: not run: ${r.unavailable}\n`);
      else
        process.stdout.write(`${r.ablation.name}: ${r.verdict!.verdict}\n${r.verdict!.lines.join('\n')}\n`);
      process.stdout.write(`report: ${r.readme}\n`);
    } catch (e) {
      report(e);
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    }
  },
};
