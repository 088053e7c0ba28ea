/**
 * A real full disk: a small tmpfs the test mounts (root only; skipped with the reason otherwise). A checkpoint and
 * a dataset that do not fit fail with an ENOSPC error naming the file, and the previous checkpoint / dataset on the
 * same file system stays intact and loadable, with no temporary leftovers.
 * (ENOSPC at every single write operation is simulated in checkpoint-io.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSynthetic, openDataset } from '@vtx/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, latestCheckpoint, loadCheckpoint, saveCheckpoint } from '@vtx/checkpoint';
import { fingerprintTree, recordFault } from './lib/index.js';
import { syntheticCheckpoint } from './lib/synthetic-checkpoint.js';
import { tempDir } from './helpers.js';

const dir = tempDir('diskfull');
const mnt = join(dir, 'small');
let mounted = false;
let why = '';
beforeAll(() => {
  mkdirSync(mnt);
  try {
    if (process.platform !== 'linux' || process.getuid?.() !== 0)
      throw new Error('needs root on Linux to mount');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=400k', 'tmpfs', mnt], { stdio: 'pipe' });
    mounted = true;
  } catch (e) {
    why = (e as Error).message.split('\n')[0]!;
  }
});
afterAll(() => {
  if (mounted) execFileSync('umount', [mnt]);
  rmSync(dir, { recursive: true, force: true });
});

describe('disk full on a real (tmpfs) file system', () => {
  it('a checkpoint that does not fit: ENOSPC naming the file, the previous checkpoint intact', async (ctx) => {
    if (!mounted) return ctx.skip(`cannot mount a small tmpfs: ${why}`);
    const root = join(mnt, 'ckpt');
    await saveCheckpoint(root, syntheticCheckpoint(1, 6000)); // ~72 KB
    const before = await fingerprintTree(root);
    const err = await saveCheckpoint(root, syntheticCheckpoint(2, 60000)).catch((e: unknown) => e); // ~720 KB
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(/\(ENOSPC\)/);
    expect((err as Error).message).toContain(root);
    expect(await fingerprintTree(root)).toEqual(before);
    expect(await latestCheckpoint(root)).toBe(join(root, 'step-000001'));
    await loadCheckpoint(join(root, 'step-000001'));
    recordFault({
      area: 'disk full (real tmpfs)',
      fault: 'a 720 KB checkpoint on a 400 KB tmpfs holding a 72 KB one',
      outcome: `"${(err as Error).message.replace(root, '<root>').slice(0, 100)}"; step-000001 byte-identical and loadable`,
    });
    rmSync(root, { recursive: true, force: true });
  });

  it('a dataset that does not fit: an error naming the file, the previous dataset intact', async (ctx) => {
    if (!mounted) return ctx.skip(`cannot mount a small tmpfs: ${why}`);
    const target = join(mnt, 'shapes');
    await buildSynthetic(target, { kind: 'synthetic', count: 8, frames: 4, height: 16, width: 16 } as never);
    const before = await fingerprintTree(target);
    const err = await buildSynthetic(target, {
      kind: 'synthetic',
      count: 200,
      frames: 8,
      height: 32,
      width: 32,
    } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/ENOSPC/);
    expect((err as Error).message).toContain(mnt);
    expect(await fingerprintTree(target)).toEqual(before);
    await openDataset(target, { verify: true });
    expect(readdirSync(mnt).filter((n) => n.startsWith('.'))).toEqual([]);
    recordFault({
      area: 'disk full (real tmpfs)',
      fault: 'rebuilding a dataset 25x larger than the 400 KB tmpfs over an existing one',
      outcome: `"${(err as Error).message.replaceAll(mnt, '<mnt>').slice(0, 100)}"; the previous dataset verifies, no leftovers`,
    });
  });
});
