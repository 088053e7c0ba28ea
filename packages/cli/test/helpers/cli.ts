/** The vtx command line in process, for the tests of its commands. */
import { afterEach, beforeEach, vi } from 'vitest';
import { main } from '../../src/cli.js';

export interface CliCapture {
  /** What the current test's commands wrote to stdout ('' at the start of each test; a test may clear it). */
  out: string;
  /** What they wrote to stderr, likewise. */
  err: string;
  /** Run `vtx ...argv` in process (`main(argv)`); resolves to the exit code: 0 ok, 1 failure, 2 usage/config. */
  run: (...argv: string[]) => Promise<number>;
}

/**
 * Capture stdout and stderr for each test of the file or `describe` that calls this (at its top level), with
 * `process.exitCode` reset to 0 before and after each test.
 */
export function captureCli(): CliCapture {
  const io: CliCapture = {
    out: '',
    err: '',
    run: async (...argv) => {
      await main(argv);
      return Number(process.exitCode ?? 0);
    },
  };
  beforeEach(() => {
    io.out = '';
    io.err = '';
    process.exitCode = 0;
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((io.out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((io.err += String(s)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = 0;
  });
  return io;
}
