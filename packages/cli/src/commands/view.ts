/** `vtx view <run|sweep|dir>`: the dashboard on http://127.0.0.1:<port>/ until Ctrl-C. */
import type { CommandModule } from 'yargs';
import { startViewServer } from '@vtx/view';

interface Args {
  path: string;
  port: number;
}

export const viewCommand: CommandModule<object, Args> = {
  command: 'view [path]',
  describe: 'dashboard of runs, sweeps and ablations: live curves, samples, scaling plots (127.0.0.1 only)',
  builder: (y) =>
    y
      .positional('path', {
        type: 'string',
        default: 'runs',
        describe: 'a run, a sweep, or a directory of them',
      })
      .option('port', { type: 'number', default: 6006, describe: 'port on 127.0.0.1 (0: any free port)' })
      .example('$0 view runs', 'every run and sweep under runs/')
      .example('$0 view runs/default --port 0', 'one run (live while it trains), on a free port'),
  handler: async (argv) => {
    try {
      const view = await startViewServer({
        root: argv.path,
        port: argv.port,
        log: (m) => process.stderr.write(`${m}\n`),
      });
      process.stdout.write(`vtx view: ${argv.path} at ${view.url} (Ctrl-C to stop)\n`);
      const stop = () => void view.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } catch (e) {
      process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = (e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 2 : 1;
    }
  },
};
