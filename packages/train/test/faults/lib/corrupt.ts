/**
 * Damage files the way disks and interrupted copies do (truncation, a flipped bit, overwritten bytes) and
 * fingerprint directory trees, so a test can say "this file is broken and nothing else changed".
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';

/** Cut `path` to `bytes` bytes (or to a fraction of its size when 0 < bytes < 1). Returns the new size. */
export async function truncateFile(path: string, bytes: number): Promise<number> {
  const size = (await fs.stat(path)).size;
  const keep = bytes > 0 && bytes < 1 ? Math.floor(size * bytes) : Math.min(size, Math.floor(bytes));
  await fs.truncate(path, keep);
  return keep;
}

/** Flip bit `bit` (0-7) of byte `offset` (negative: from the end). Returns the absolute offset. */
export async function flipBit(path: string, offset: number, bit = 0): Promise<number> {
  const fh = await fs.open(path, 'r+');
  try {
    const size = (await fh.stat()).size;
    const at = offset < 0 ? size + offset : offset;
    if (at < 0 || at >= size)
      throw new RangeError(`${path}: byte ${offset} is outside a file of ${size} bytes`);
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] = b[0]! ^ (1 << bit);
    await fh.write(b, 0, 1, at);
    return at;
  } finally {
    await fh.close();
  }
}

/** Replace bytes at `offset` with `data`. */
export async function overwriteBytes(path: string, offset: number, data: Uint8Array): Promise<void> {
  const fh = await fs.open(path, 'r+');
  try {
    await fh.write(data, 0, data.byteLength, offset);
  } finally {
    await fh.close();
  }
}

/** sha256 of every regular file under `dir` (relative path -> hex), skipping names that match `skip`. */
export async function fingerprintTree(
  dir: string,
  skip: RegExp | null = null,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      if (skip?.test(rel)) continue;
      if (e.isDirectory()) await walk(p);
      else if (e.isFile())
        out[rel] = createHash('sha256')
          .update(await fs.readFile(p))
          .digest('hex');
    }
  };
  await walk(dir);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
