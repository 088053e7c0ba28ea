/**
 * Atomic file and directory replacement: write to a temporary name next to the target, fsync, rename.
 * A crash or an error part-way leaves the previous file or dataset at the target path intact.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

import { DataError } from '../errors.js';

/** A unique sibling name for `target` (same directory, so rename stays on one filesystem). */
export function tempSibling(target: string, tag = 'tmp'): string {
  const dir = path.dirname(target);
  return path.join(dir, `.${path.basename(target)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** fsync a file or directory by path (directory fsync makes a rename durable; ignored where unsupported). */
export async function fsyncPath(p: string): Promise<void> {
  const fh = await fs.open(p, 'r');
  try {
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    await fh.close();
  }
}

/** Write `data` to `target` atomically: temp file, fsync, rename. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempSibling(target);
  try {
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, target);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fsyncPath(path.dirname(target));
}

/**
 * Move a finished dataset directory `tmpDir` to `target`, replacing a previous dataset there.
 * The previous one is renamed aside first and removed only after the new one is in place.
 * Refuses to replace a non-empty directory that is not a vtx dataset (no index.json).
 */
export async function replaceDir(tmpDir: string, target: string): Promise<void> {
  const old = await fs.stat(target).catch(() => null);
  let aside: string | null = null;
  if (old) {
    await assertReplaceable(target);
    aside = tempSibling(target, 'old');
    await fs.rename(target, aside);
  }
  try {
    await fs.rename(tmpDir, target);
  } catch (e) {
    if (aside) await fs.rename(aside, target);
    throw e;
  }
  await fsyncPath(path.dirname(target));
  if (aside) await fs.rm(aside, { recursive: true, force: true });
}

/** Throws unless `target` is absent, an empty directory, or a vtx dataset directory. */
export async function assertReplaceable(target: string): Promise<void> {
  const st = await fs.stat(target).catch(() => null);
  if (!st) return;
  if (!st.isDirectory())
    throw new DataError(`${target}: exists and is not a directory; refusing to replace it`);
  const entries = await fs.readdir(target);
  if (entries.length > 0 && !entries.includes('index.json')) {
    throw new DataError(`${target}: not a vtx dataset (no index.json) and not empty; refusing to replace it`);
  }
}
