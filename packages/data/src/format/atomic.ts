/**
 * Atomic dataset directory replacement: build under a temporary name next to the target, fsync, rename. A crash or
 * an error part-way leaves the previous dataset at the target path intact. Files are written with @vtx/runs'
 * writeFileAtomic (the one atomic writer); its tempSibling names the temporary directories.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { nodeIO, tempSibling } from '@vtx/runs';

import { DataError } from '../errors.js';

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
  await nodeIO.syncDir(path.dirname(target));
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
