/**
 * `metrics.jsonl`: one JSON object per line, one line per record (step, loss, lr, grad-norm, throughput, …).
 * Each append goes straight to the file descriptor (no user-space buffering), so a crash loses at most the line
 * being written; the reader skips a torn last line. Non-finite numbers, which JSON cannot hold, are written as the
 * strings "NaN", "Infinity" and "-Infinity" and read back as numbers.
 */
import { closeSync, openSync, promises as fs, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from './atomic.js';

export interface MetricsRecord {
  step: number;
  [key: string]: unknown;
}

const NONFINITE = new Set(['NaN', 'Infinity', '-Infinity']);

function encode(r: MetricsRecord): string {
  return (
    JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) +
    '\n'
  );
}

function decode(line: string): MetricsRecord {
  return JSON.parse(line, (_k, v: unknown) =>
    typeof v === 'string' && NONFINITE.has(v) ? Number(v) : v,
  ) as MetricsRecord;
}

export class MetricsWriter {
  private fd: number | null;

  private constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  /**
   * Open (append) `path`. With `dropAfterStep`, records with a larger step are removed first (atomically), so a
   * resumed run continues the file from its checkpoint without duplicate steps.
   */
  static async open(path: string, opts: { dropAfterStep?: number } = {}): Promise<MetricsWriter> {
    await fs.mkdir(dirname(path), { recursive: true });
    if (opts.dropAfterStep !== undefined) {
      const keep = (await readMetrics(path).catch(() => [])).filter((r) => r.step <= opts.dropAfterStep!);
      await writeFileAtomic(path, keep.map(encode).join(''));
    }
    return new MetricsWriter(path);
  }

  /** Append one record as a line. */
  append(record: MetricsRecord): void {
    if (this.fd === null) throw new Error(`${this.path}: append after close`);
    const bytes = Buffer.from(encode(record));
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** All records of a metrics file. A torn final line (crash mid-write) is skipped; a bad line elsewhere is an error. */
export async function readMetrics(path: string): Promise<MetricsRecord[]> {
  const text = await fs.readFile(path, 'utf8');
  const lines = text.split('\n');
  const out: MetricsRecord[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      out.push(decode(line));
    } catch (e) {
      if (i === lines.length - 1) break; // no trailing newline: the write was cut short
      throw new Error(`${path}:${i + 1}: not a JSON record (${(e as Error).message})`, { cause: e });
    }
  }
  return out;
}

/**
 * Records of complete metrics.jsonl lines (a live reader's view of a file being written: the dashboard): a line that
 * does not parse, or has no numeric step, is skipped (it is being written right now).
 */
export function parseMetrics(text: string): MetricsRecord[] {
  const out: MetricsRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = decode(line);
      if (typeof r.step === 'number') out.push(r);
    } catch {
      // a line being written right now
    }
  }
  return out;
}
