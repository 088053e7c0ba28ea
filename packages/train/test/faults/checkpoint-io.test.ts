/**
 * Checkpoint writes under I/O faults. Crash (SIGKILL of a child process) at every DurableIO operation of a save,
 * and ENOSPC / a half-written file / EIO at every operation in process: afterwards every listed checkpoint loads
 * and verifies, the earlier checkpoints are byte-for-byte unchanged, the newest step never goes backwards (after
 * the recovery every save and every resume runs), failures are CheckpointErrors naming the file and the errno, and
 * the next save works and leaves no temporary directories behind.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  latestCheckpoint,
  listCheckpoints,
  cleanStaleTemps,
  loadCheckpoint,
  saveCheckpoint,
} from '@vtx/checkpoint';
import { fingerprintTree, FaultyIO, recordFault, REPO_ROOT, type IOFault } from './lib/index.js';
import { syntheticCheckpoint } from './lib/synthetic-checkpoint.js';
import { LONG, tempDir } from './helpers.js';

const dir = tempDir('ckpt-io');
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const CHILD = fileURLToPath(new URL('./lib/crash-save.ts', import.meta.url));

/** A root with checkpoints at steps 1 and 2. */
let roots = 0;
async function seeded(name: string): Promise<string> {
  const root = join(dir, `${name}-${roots++}`);
  await saveCheckpoint(root, syntheticCheckpoint(1));
  await saveCheckpoint(root, syntheticCheckpoint(2));
  return root;
}

/** The checkpoint at `step` holds exactly syntheticCheckpoint(step)'s tensors. */
async function expectIntact(root: string, step: number): Promise<void> {
  const c = await loadCheckpoint(join(root, `step-${String(step).padStart(6, '0')}`));
  const want = syntheticCheckpoint(step);
  for (const [g, grp] of Object.entries(want.groups))
    for (const [t, ht] of Object.entries(grp.tensors)) expect(c.groups[g]!.tensors[t]!.data).toEqual(ht.data);
}

/** The DurableIO operations of a save with no fault (fresh step 3, or a re-save of step 2). */
async function opsOf(kind: 'fresh' | 'resave'): Promise<string[]> {
  const root = await seeded(`ops-${kind}`);
  const io = new FaultyIO();
  await saveCheckpoint(root, syntheticCheckpoint(kind === 'fresh' ? 3 : 2), { io });
  return io.ops;
}

const kinds = ['fresh', 'resave'] as const;
/** What the names claim: every operation in the long mode (VTX_FAULTS=long), a few chosen ones in the short one. */
const WHERE = LONG ? 'every operation' : 'chosen operations (VTX_FAULTS=long: every one)';

describe('checkpoint saves under I/O faults', () => {
  it.each(kinds)(`crash (SIGKILL) at ${WHERE} of a %s save`, async (kind) => {
    const ops = await opsOf(kind);
    expect(ops.length).toBeGreaterThan(4);
    // Short: the manifest write of a fresh save; the rename that lands a re-save while the old one is moved aside.
    const points = LONG ? ops.map((_, i) => i) : [kind === 'fresh' ? 3 : ops.length - 2];
    const step = kind === 'fresh' ? 3 : 2;
    for (const at of points) {
      const root = await seeded(`crash-${kind}-${at}`);
      const before = await fingerprintTree(join(root, 'step-000001'));
      const r = await promisify(execFile)(
        process.execPath,
        ['--conditions=@vtx/source', '--import', 'tsx', CHILD, root, String(step), String(at)],
        { cwd: REPO_ROOT },
      ).then(
        () => ({ signal: null }),
        (e: { signal: string | null }) => ({ signal: e.signal }),
      );
      expect(r.signal).toBe('SIGKILL');
      // Straight after the crash: whatever is listed loads and verifies.
      for (const c of await listCheckpoints(root)) await loadCheckpoint(c.path);
      // Recovery (what every save and every resume does first), then the newest step is at least 2.
      await cleanStaleTemps(root);
      const steps = (await listCheckpoints(root)).map((c) => c.step);
      expect(steps.slice(0, 2)).toEqual([1, 2]);
      expect(await fingerprintTree(join(root, 'step-000001'))).toEqual(before);
      await expectIntact(root, 1);
      await expectIntact(root, 2);
      if (steps.includes(3)) await expectIntact(root, 3);
      await saveCheckpoint(root, syntheticCheckpoint(4));
      expect((await fs.readdir(root)).filter((n) => n.startsWith('.'))).toEqual([]);
      recordFault({
        area: 'crash during checkpoint write',
        fault: `SIGKILL at '${ops[at]}' (operation ${at + 1}/${ops.length}) of a ${kind} save of step ${step}`,
        outcome: `checkpoints [${steps.join(', ')}] verify, step 1 and 2 unchanged, next save clean`,
      });
    }
  });

  const faults: IOFault[] = LONG ? ['enospc', 'enospc-partial', 'eio'] : ['enospc-partial'];
  it.each(kinds)(
    `${LONG ? 'ENOSPC / partial write / EIO' : 'a partial write'} at ${WHERE} of a %s save`,
    async (kind) => {
      const ops = await opsOf(kind);
      const step = kind === 'fresh' ? 3 : 2;
      const points = LONG ? ops.map((_, i) => i) : [0, 1, ops.length - 2, ops.length - 1];
      for (const fault of faults)
        for (const at of points) {
          const root = await seeded(`fail-${kind}-${fault}-${at}`);
          const before = await fingerprintTree(root);
          const io = new FaultyIO({ at, fault });
          const err = await saveCheckpoint(root, syntheticCheckpoint(step), { io }).catch((e: unknown) => e);
          expect(io.fired).toBe(true);
          expect(err).toBeInstanceOf(CheckpointError);
          const msg = (err as Error).message;
          expect(msg).toMatch(fault === 'eio' ? /\(EIO\)/ : /\(ENOSPC\)/);
          expect(msg).toContain(root); // names the file or directory being written
          // Nothing lost: the same files with the same bytes, no temporary leftovers. A failure of the last operation
          // (the directory fsync after the rename) leaves the new checkpoint in place, complete and verified.
          const after = await fingerprintTree(root);
          const mine = `step-${String(step).padStart(6, '0')}/`;
          const landed = at === ops.length - 1;
          const untouched = (fp: Record<string, string>) =>
            Object.fromEntries(Object.entries(fp).filter(([f]) => !landed || !f.startsWith(mine)));
          expect(untouched(after)).toEqual(untouched(before));
          expect(Object.keys(after).filter((f) => f.startsWith('.'))).toEqual([]);
          expect(await latestCheckpoint(root)).toBe(join(root, landed ? mine.slice(0, -1) : 'step-000002'));
          await expectIntact(root, 2);
          if (landed || kind === 'resave') await expectIntact(root, step);
          recordFault({
            area: 'disk full / I/O error (simulated)',
            fault: `${fault} at '${ops[at]}' of a ${kind} save of step ${step}`,
            outcome: `CheckpointError "${msg.replaceAll(root, '<root>').slice(0, 90)}"; previous checkpoints byte-identical${landed ? ' (the new one landed complete)' : ''}, no leftovers`,
          });
        }
    },
  );
});
