/**
 * Where a resumed run continues from: the newest checkpoint that loads and verifies. A damaged newer one (a flipped
 * bit, a truncated file, a manifest that is not JSON) is passed over and reported, and `setAsideDamaged` moves it
 * out of the listing (to `damaged-step-N`, kept for inspection) so the resumed run can save that step again and
 * prune around it. A checkpoint of another format version is not damage: it stops the resume (a newer vtx wrote it).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { stepOfName } from '@vtx/runs';
import { loadCheckpoint, readManifest, type LoadedCheckpoint } from './checkpoint.js';
import { CheckpointError } from './errors.js';

export interface DamagedCheckpoint {
  path: string;
  error: CheckpointError;
}

export interface ResumePoint {
  /** The newest checkpoint that loads and verifies, loaded (every tensor group); undefined when there is none. */
  checkpoint: LoadedCheckpoint | undefined;
  /** The newer checkpoints that failed to load, newest first. */
  damaged: DamagedCheckpoint[];
}

/** Whether a load error means the checkpoint's bytes are broken (not: unsupported version, permissions, I/O). */
function isDamage(e: unknown): e is CheckpointError {
  if (!(e instanceof CheckpointError) || e.unsupported) return false;
  const code = (e.cause as NodeJS.ErrnoException | undefined)?.code;
  return code === undefined || code === 'ENOENT';
}

/**
 * The newest checkpoint under `root` that loads and verifies, and the damaged ones newer than it. Step directories
 * without a manifest (a save that never finished) are skipped, as in `listCheckpoints`; any error that is not damage
 * is thrown.
 */
export async function newestGoodCheckpoint(root: string): Promise<ResumePoint> {
  const steps = (await fs.readdir(root).catch(() => [] as string[]))
    .map((name) => ({ name, step: stepOfName(name) }))
    .filter((d): d is { name: string; step: number } => d.step !== undefined)
    .sort((a, b) => b.step - a.step);
  const damaged: DamagedCheckpoint[] = [];
  for (const { name } of steps) {
    const path = join(root, name);
    try {
      await readManifest(path);
    } catch (e) {
      if ((e as { cause?: NodeJS.ErrnoException }).cause?.code === 'ENOENT') continue; // never completed
      if (!isDamage(e)) throw e;
      damaged.push({ path, error: e });
      continue;
    }
    try {
      return { checkpoint: await loadCheckpoint(path), damaged };
    } catch (e) {
      if (!isDamage(e)) throw e;
      damaged.push({ path, error: e });
    }
  }
  return { checkpoint: undefined, damaged };
}

/** Move a damaged checkpoint out of the listing, to `damaged-step-N` beside it (`-2`, `-3`, … if taken). */
export async function setAsideDamaged(path: string): Promise<string> {
  for (let n = 1; ; n++) {
    const target = join(path, '..', `damaged-${path.split(/[/\\]/).at(-1)!}${n > 1 ? `-${n}` : ''}`);
    const taken = await fs.stat(target).then(
      () => true,
      () => false,
    );
    if (taken) continue;
    await fs.rename(path, target);
    return target;
  }
}
