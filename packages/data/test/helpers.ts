// Shared test fixtures: temporary directories, small clips with known bytes, `vtx data` in process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { afterAll, vi } from 'vitest';

// `vtx data` is @vtx/cli's command over this package's builders: these tests drive it as users do.
import { dataCommand } from '../../cli/src/commands/data.js';
import type { ClipRecord, ClipShape } from '../src/index.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the file's tests. */
export function tmpDir(tag = 'vtx-data'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `${tag}-`));
  made.push(d);
  return d;
}

/** Clip `i` with shape `shape`: byte k = (i * 31 + k * 7) mod 251, so every clip differs. */
export function clip(i: number, shape: ClipShape, extra: Partial<ClipRecord> = {}): ClipRecord {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Uint8Array(n);
  for (let k = 0; k < n; k++) data[k] = (i * 31 + k * 7) % 251;
  return {
    id: `clip-${i}`,
    source: `test:${i}`,
    data,
    shape,
    label: i % 3,
    caption: `clip number ${i}`,
    captionTerse: null,
    attributes: null,
    fps: 12,
    meta: { i },
    ...extra,
  };
}

/** Array.fromAsync for Node 20. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * Run `vtx data ...` through yargs, reporting as the vtx CLI does: an error yargs raises while parsing (a flag that
 * does not parse, options the builder's spec rejects) exits 2, one a handler throws (bad input data) exits 1, each as
 * one `error:` line. Returns what it wrote to stdout and stderr and sets `process.exitCode`: a test file that calls
 * it resets that (and the mocks, should the command throw) after each test.
 */
export async function dataCli(...args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  let usage = false;
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    await yargs()
      .command(dataCommand)
      .strict()
      .fail((msg, e) => {
        usage = msg !== null;
        throw e ?? new Error(msg);
      })
      .parseAsync(args);
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exitCode = usage ? 2 : 1;
  }
  vi.restoreAllMocks();
  return { out, err };
}
