/**
 * How to start `vtx` as a child process: the same node binary, and @vtx/cli's entry — `src/bin.ts` through tsx with
 * the `@vtx/source` export condition when running from the repository's sources, `dist/bin.js` when built. The CLI
 * sits above this package (it is a process this package starts, not a module it imports): it is found as the
 * sibling package directory `cli` (packages/cli in the repository, node_modules/@vtx/cli when installed).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface VtxCommand {
  /** The node executable. */
  node: string;
  /** Node flags and the CLI script; append the vtx arguments. */
  args: string[];
}

/** The command line that runs `vtx …` from the same installation as this process. */
export function vtxCommand(): VtxCommand {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  const ext = fromSource ? 'ts' : 'js';
  // the process entry: bin.* (runs main and exits), or cli.* where the entry and the parser are one file
  const cliRoot = join(dirname(here), '..', '..', '..', 'cli', fromSource ? 'src' : 'dist');
  const cli = ['bin', 'cli'].map((f) => join(cliRoot, `${f}.${ext}`)).find((f) => existsSync(f))!;
  if (!fromSource) return { node: process.execPath, args: [cli] };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { node: process.execPath, args: ['--conditions=@vtx/source', '--import', tsx, cli] };
}

/** Quote for a POSIX shell. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
