/**
 * @vtx/cli — the `vtx` command line (yargs and exit codes live here only: 0 ok, 1 failure, 2 bad usage or config).
 * `main(argv)` runs one command in process; `bin.ts` is the executable.
 */
export { main } from './cli.js';
