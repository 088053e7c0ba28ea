import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  bestCheckpoint,
  hostValues,
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointData,
} from '../src/index.js';
import { nodeIO, stepName, writeFileAtomic, type DurableIO } from '@vtx/runs';

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'vtx-ckpt-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function data(step: number, metrics: Record<string, number> = {}): CheckpointData {
  return {
    step,
    groups: {
      weights: {
        tensors: {
          'blocks.0/kernel': {
            dtype: 'F32',
            shape: [2, 3],
            data: Float32Array.from({ length: 6 }, (_, i) => i + step),
          },
          'blocks.0/bias': { dtype: 'F32', shape: [3], data: Float32Array.of(0.5, -0.5, step) },
        },
        metadata: {},
      },
      optimizer: {
        tensors: { step: { dtype: 'I32', shape: [], data: Int32Array.of(step) } },
        metadata: { optimizer: 'adamw' },
      },
    },
    metrics,
    state: { rng: { seed: 7, counter: step * 3 }, data: { epoch: 1, index: step } },
  };
}

const names = async () => (await fs.readdir(root)).sort();

describe('checkpoints', () => {
  it('round-trips tensors, metadata, metrics and loop state', async () => {
    const path = await saveCheckpoint(root, data(123, { valLoss: 0.5 }));
    expect(path).toBe(join(root, 'step-000123'));
    expect((await fs.readdir(path)).sort()).toEqual([
      'manifest.json',
      'optimizer.safetensors',
      'weights.safetensors',
    ]);
    const ck = await loadCheckpoint(path);
    expect(ck.step).toBe(123);
    expect(Array.from(ck.groups.weights!.tensors['blocks.0/kernel']!.data as Float32Array)).toEqual([
      123, 124, 125, 126, 127, 128,
    ]);
    expect(ck.groups.weights!.tensors['blocks.0/kernel']!.shape).toEqual([2, 3]);
    expect(ck.groups.optimizer!.metadata).toEqual({ optimizer: 'adamw' });
    expect(ck.metrics).toEqual({ valLoss: 0.5 });
    expect(ck.state).toEqual({ rng: { seed: 7, counter: 369 }, data: { epoch: 1, index: 123 } });
    const only = await loadCheckpoint(path, { groups: ['optimizer'] });
    expect(Object.keys(only.groups)).toEqual(['optimizer']);
    expect(stepName(12345678)).toBe('step-12345678');
  });

  it('detects truncation by size, naming the file', async () => {
    const path = await saveCheckpoint(root, data(1));
    const file = join(path, 'weights.safetensors');
    const bytes = await fs.readFile(file);
    await fs.writeFile(file, bytes.subarray(0, bytes.length - 3));
    await expect(loadCheckpoint(path)).rejects.toThrow(
      /weights\.safetensors: is \d+ bytes, the manifest says \d+ \(truncated/,
    );
  });

  it('detects a flipped bit and names the damaged tensor', async () => {
    const path = await saveCheckpoint(root, data(2));
    const file = join(path, 'weights.safetensors');
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 2]! ^= 0x10; // inside the last tensor in layout order ('blocks.0/kernel')
    await fs.writeFile(file, bytes);
    const err = (await loadCheckpoint(path).catch((e: unknown) => e)) as CheckpointError;
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.file).toBe(file);
    expect(err.tensor).toBe('blocks.0/kernel');
    expect(err.message).toMatch(/sha256 mismatch/);
    // a flip in the header's JSON is named as such
    const fresh = await saveCheckpoint(root, data(3));
    const f2 = join(fresh, 'weights.safetensors');
    const b2 = await fs.readFile(f2);
    b2[8] = '~'.charCodeAt(0); // the opening brace
    await fs.writeFile(f2, b2);
    await expect(loadCheckpoint(fresh)).rejects.toThrow(/weights\.safetensors: header is not valid JSON/);
    b2[8] = '{'.charCodeAt(0);
    b2[10] = '~'.charCodeAt(0); // inside a tensor name: still JSON, but not what was written
    await fs.writeFile(f2, b2);
    await expect(loadCheckpoint(fresh)).rejects.toThrow(
      /header damaged, tensor names '~locks.0\/bias' are not in the manifest/,
    );
  });

  it('rejects missing manifests, missing files and unknown format versions', async () => {
    const path = await saveCheckpoint(root, data(4));
    await fs.rm(join(path, 'optimizer.safetensors'));
    await expect(loadCheckpoint(path)).rejects.toThrow(/optimizer\.safetensors: cannot read \(ENOENT\)/);
    const p2 = await saveCheckpoint(root, data(5));
    const m = JSON.parse(await fs.readFile(join(p2, 'manifest.json'), 'utf8')) as { version: number };
    m.version = 99;
    await fs.writeFile(join(p2, 'manifest.json'), JSON.stringify(m));
    await expect(loadCheckpoint(p2)).rejects.toThrow(/manifest\.json: format version 99 is not supported/);
    await expect(loadCheckpoint(join(root, 'nope'))).rejects.toThrow(/manifest.*not a complete checkpoint/);
  });

  it('keeps the last k plus the best by a metric', async () => {
    const losses = [0.9, 0.2, 0.5, 0.7, 0.6];
    for (const [i, l] of losses.entries())
      await saveCheckpoint(root, data(i * 10, { valLoss: l }), {
        keepLast: 2,
        keepBest: { metric: 'valLoss', mode: 'min' },
      });
    expect(await names()).toEqual(['step-000010', 'step-000030', 'step-000040']);
    expect(await bestCheckpoint(root, 'valLoss', 'min')).toBe(join(root, 'step-000010'));
    expect(await latestCheckpoint(root)).toBe(join(root, 'step-000040'));
    // max mode keeps the highest accuracy
    const r2 = join(root, 'acc');
    for (const [i, a] of [0.1, 0.8, 0.3].entries())
      await saveCheckpoint(r2, data(i, { acc: a }), {
        keepLast: 1,
        keepBest: { metric: 'acc', mode: 'max' },
      });
    expect((await fs.readdir(r2)).sort()).toEqual(['step-000001', 'step-000002']);
  });

  it('a crash before the rename leaves the old checkpoints intact; leftovers are ignored and cleaned', async () => {
    await saveCheckpoint(root, data(10));
    const crashing: DurableIO = {
      ...nodeIO,
      rename: () => Promise.reject(Object.assign(new Error('simulated crash'), { code: 'EIO' })),
    };
    await expect(saveCheckpoint(root, data(20), { io: crashing })).rejects.toThrow(
      /step-000020: write failed \(EIO\)/,
    );
    expect(await names()).toEqual(['step-000010']);
    // A real crash cannot clean up: it leaves a half-written temp dir behind.
    const leftover = join(root, '.tmp-step-000030-999-abcd');
    await fs.mkdir(leftover);
    await fs.writeFile(join(leftover, 'weights.safetensors'), 'partial');
    await fs.mkdir(join(root, 'step-000040')); // not a checkpoint: no manifest
    expect(await latestCheckpoint(root)).toBe(join(root, 'step-000010'));
    expect((await listCheckpoints(root)).map((c) => c.step)).toEqual([10]);
    await saveCheckpoint(root, data(11));
    expect(await names()).toEqual(['step-000010', 'step-000011', 'step-000040']);
    const old = await loadCheckpoint(join(root, 'step-000010'));
    expect(hostValues(old.groups.weights!.tensors['blocks.0/bias']!)).toEqual([0.5, -0.5, 10]);
  });

  it('ENOSPC mid-write: a CheckpointError naming the file, no temp dir left, old checkpoints intact', async () => {
    await saveCheckpoint(root, data(1));
    let written = 0;
    const full: DurableIO = {
      ...nodeIO,
      async writeFile(path, chunks) {
        const size = chunks.reduce((n, c) => n + c.byteLength, 0);
        if (written + size > 200) {
          await fs.writeFile(path, Buffer.from(chunks[0]!).subarray(0, 10)); // the part that fit
          throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        }
        written += size;
        return nodeIO.writeFile(path, chunks);
      },
    };
    const err = (await saveCheckpoint(root, data(2), { io: full }).catch(
      (e: unknown) => e,
    )) as CheckpointError;
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/ENOSPC/);
    expect(err.file).toMatch(/\.tmp-step-000002-.*\/(weights|optimizer)\.safetensors$/);
    expect(await names()).toEqual(['step-000001']);
    expect((await loadCheckpoint(join(root, 'step-000001'))).step).toBe(1);
  });

  it('re-saving an existing step replaces it atomically; a crash during that keeps the old one', async () => {
    await saveCheckpoint(root, data(5, { valLoss: 1 }));
    let renames = 0;
    const crashOnSecondRename: DurableIO = {
      ...nodeIO,
      rename: async (a, b) => {
        if (++renames === 2) throw new Error('crash');
        await nodeIO.rename(a, b);
      },
    };
    await expect(saveCheckpoint(root, data(5, { valLoss: 2 }), { io: crashOnSecondRename })).rejects.toThrow(
      CheckpointError,
    );
    expect(await names()).toEqual(['step-000005']);
    expect((await loadCheckpoint(join(root, 'step-000005'))).metrics).toEqual({ valLoss: 1 });
    await saveCheckpoint(root, data(5, { valLoss: 3 }));
    expect(await names()).toEqual(['step-000005']);
    expect((await loadCheckpoint(join(root, 'step-000005'))).metrics).toEqual({ valLoss: 3 });
  });

  it('writeFileAtomic replaces a file whole', async () => {
    const f = join(root, 'config.yaml');
    await writeFileAtomic(f, 'a: 1\n');
    await writeFileAtomic(f, 'a: 2\n');
    expect(await fs.readFile(f, 'utf8')).toBe('a: 2\n');
    expect(await names()).toEqual(['config.yaml']);
  });
});
