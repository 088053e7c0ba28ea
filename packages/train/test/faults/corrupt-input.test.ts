/**
 * Corrupt input: truncated and bit-flipped Arrow shards, a wrong schema version, damaged checkpoint files
 * (safetensors payload, safetensors header, manifest, truncation) and a damaged standalone safetensors file give
 * a clear error naming the file (and the tensor or row), a non-zero exit, and leave every other file as it was.
 */
import { copyFileSync, cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '@vtx/core';
import { openDataset, readRows } from '@vtx/data';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, decodeSafetensors, encodeSafetensors, loadCheckpoint, train } from '@vtx/train';
import { fingerprintTree, flipBit, overwriteBytes, recordFault, runVtx, truncateFile } from './lib/index.js';
import { syntheticCheckpoint } from './lib/synthetic-checkpoint.js';
import { CHILD_ENV, LONG, tempDir, toYaml } from './helpers.js';
import { tinyClassifier } from '../helpers/tiny.js';

const dir = tempDir('corrupt');
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
let pristineRun = '';
let datasetDir = '';

beforeAll(async () => {
  await selectBackend({ override: 'wasm' });
  pristineRun = join(dir, 'pristine');
  await train(tinyClassifier(join(dir, 'cache'), { train: { steps: 4, logEvery: 1, checkpointEvery: 2 } }), {
    out: pristineRun,
    terminal: quiet,
  });
  datasetDir = join(dir, 'cache', readdirSync(join(dir, 'cache'))[0]!);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await selectBackend({ override: 'cpu' });
});

let copies = 0;
const copyOf = (src: string) => {
  const dst = join(dir, `copy-${copies++}`);
  cpSync(src, dst, { recursive: true });
  return dst;
};

describe('damaged checkpoints', () => {
  const damages: { name: string; file: string; damage: (f: string) => Promise<unknown>; want: RegExp }[] = [
    {
      name: 'a flipped bit in a weight tensor',
      file: 'weights.safetensors',
      damage: (f) => flipBit(f, -5, 3),
      want: /weights\.safetensors: tensor '[^']+': sha256 mismatch, bytes \d+\.\.\d+ are damaged/,
    },
    {
      name: 'truncated optimizer state',
      file: 'optimizer.safetensors',
      damage: (f) => truncateFile(f, 0.5),
      want: /optimizer\.safetensors: is \d+ bytes, the manifest says \d+ \(truncated or overwritten\)/,
    },
    {
      name: 'a damaged safetensors header',
      file: 'ema.safetensors',
      damage: (f) => overwriteBytes(f, 9, new TextEncoder().encode('}}')),
      want: /ema\.safetensors: .*header/,
    },
    {
      name: 'a manifest from a future format version',
      file: 'manifest.json',
      damage: (f) =>
        Promise.resolve(writeFileSync(f, readFileSync(f, 'utf8').replace('"version": 1', '"version": 99'))),
      want: /manifest\.json: format version 99 is not supported/,
    },
    {
      name: 'a manifest that is not JSON',
      file: 'manifest.json',
      damage: (f) => truncateFile(f, 0.5),
      want: /manifest\.json: manifest is not valid JSON \(corrupt\)/,
    },
  ];
  it.each(LONG ? damages : damages.slice(0, 1))(
    '$name: --resume fails naming it; nothing else changes',
    async (d) => {
      const run = copyOf(pristineRun);
      const ckpt = join(run, 'checkpoints', 'step-000004');
      await d.damage(join(ckpt, d.file));
      const before = await fingerprintTree(run, /^log\.jsonl$/);
      const r = await runVtx(['train', '--resume', run], { env: CHILD_ENV });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(d.want);
      expect(r.stderr).toContain(ckpt);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(await fingerprintTree(run, /^log\.jsonl$/)).toEqual(before);
      await loadCheckpoint(join(run, 'checkpoints', 'step-000002')); // the older one is still good
      recordFault({
        area: 'corrupt input',
        fault: `checkpoint: ${d.name}; vtx train --resume`,
        outcome: `exit 1: "${r.stderr.trim().split('\n').at(-1)!.replace(dir, '').slice(0, 110)}"; run directory unchanged`,
      });
    },
  );

  it('a standalone safetensors file: any truncation or bit flip decodes to the same tensors or a CheckpointError', () => {
    const group = syntheticCheckpoint(7, 60).groups['weights']!;
    const bytes = Buffer.concat(encodeSafetensors(group));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ cut: fc.nat({ max: bytes.length - 1 }) }),
          fc.record({ at: fc.nat({ max: bytes.length - 1 }), bit: fc.nat({ max: 7 }) }),
        ),
        (d) => {
          const b = Buffer.from(bytes);
          const damaged =
            'cut' in d ? b.subarray(0, d.cut) : (b.writeUInt8(b[d.at]! ^ (1 << d.bit), d.at), b);
          let decoded: ReturnType<typeof decodeSafetensors> | null = null;
          let error: unknown = null;
          try {
            decoded = decodeSafetensors(damaged, 'x.safetensors');
          } catch (e) {
            error = e;
          }
          if (error) {
            expect(error).toBeInstanceOf(CheckpointError);
            expect((error as Error).message).toMatch(/^x\.safetensors: /);
          } else {
            // A flip in a payload or a tensor name is invisible without the manifest's per-tensor sha256 (the
            // checkpoint tests above cover that): it still decodes to well-formed tensors.
            expect(Object.keys(decoded!.tensors)).toHaveLength(Object.keys(group.tensors).length);
          }
        },
      ),
      { numRuns: LONG ? 3000 : 300, seed: 5 },
    );
    recordFault({
      area: 'corrupt input',
      fault: `safetensors: ${LONG ? 3000 : 300} random truncations and bit flips`,
      outcome: 'each decodes to the same tensor names or throws a CheckpointError naming the file',
    });
  });
});

describe('damaged datasets', () => {
  const shardOf = (d: string) =>
    join(
      d,
      readdirSync(d).find((n) => n.endsWith('.arrow'))!,
    );
  const damages: { name: string; damage: (d: string) => Promise<unknown>; want: RegExp; verify?: boolean }[] =
    [
      {
        name: 'a flipped bit in a shard (checksum)',
        damage: (d) => flipBit(shardOf(d), 2000, 1),
        want: /\.arrow: checksum mismatch: sha256 [0-9a-f]+, index\.json says [0-9a-f]+/,
      },
      {
        name: 'a truncated shard',
        damage: (d) => truncateFile(shardOf(d), 0.6),
        want: /\.arrow: size \d+ B != \d+ B in index\.json \(truncated or replaced\?\)/,
      },
      {
        name: 'index.json from a future schema version',
        damage: (d) =>
          fs.writeFile(
            join(d, 'index.json'),
            readFileSync(join(d, 'index.json'), 'utf8').replace('"schemaVersion": 1', '"schemaVersion": 2'),
          ),
        want: /index\.json: schema version 2 is not supported/,
      },
      {
        name: 'a shard whose Arrow footer is damaged (verify: false)',
        damage: (d) => overwriteBytes(shardOf(d), readFileSync(shardOf(d)).length - 10, new Uint8Array(4)),
        want: /\.arrow: not a readable Arrow IPC file|\.arrow: .*corrupt/,
        verify: false,
      },
    ];
  it.each(LONG ? damages : damages.slice(0, 1))(
    '$name: train fails naming it; the dataset is not rewritten',
    async (d) => {
      const ds = copyOf(datasetDir);
      await d.damage(ds);
      const before = await fingerprintTree(ds);
      const cfg = tinyClassifier(join(dir, 'cache'), {
        data: { dataset: ds, batchSize: 4, worker: false, verify: d.verify ?? true },
      });
      const yaml = join(dir, `ds-${copies}.yaml`);
      writeFileSync(yaml, toYaml(cfg));
      const out = join(dir, `ds-run-${copies}`);
      const r = await runVtx(['train', '--config', yaml, '--out', out], { env: CHILD_ENV });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(d.want);
      expect(r.stderr).toContain(ds);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(await fingerprintTree(ds)).toEqual(before);
      recordFault({
        area: 'corrupt input',
        fault: `dataset: ${d.name}; vtx train`,
        outcome: `exit 1: "${r.stderr.trim().split('\n').at(-1)!.replace(dir, '').slice(0, 110)}"; dataset untouched, no run directory`,
      });
    },
  );

  it.runIf(LONG)(
    'every single-bit flip in a shard (verify off) reads back or fails with a DataError',
    async () => {
      const ds = copyOf(datasetDir);
      const shard = shardOf(ds);
      const pristine = readFileSync(shard);
      const size = pristine.length;
      let errors = 0;
      for (let at = 0; at < size; at += Math.max(1, Math.floor(size / 400))) {
        const b = Buffer.from(pristine);
        b[at] = b[at]! ^ 0x10;
        writeFileSync(shard, b);
        try {
          const opened = await openDataset(ds, { verify: false });
          for await (const _ of readRows(opened));
        } catch (e) {
          errors++;
          expect((e as Error).name, (e as Error).message).toBe('DataError');
          expect((e as Error).message).toContain(shard);
        }
      }
      copyFileSync(
        join(
          datasetDir,
          readdirSync(datasetDir).find((n) => n.endsWith('.arrow'))!,
        ),
        shard,
      );
      recordFault({
        area: 'corrupt input',
        fault: `dataset: ~400 single-bit flips across a shard, checksums off`,
        outcome: `${errors} raised a DataError naming the shard; the rest read back (payload bytes)`,
      });
    },
  );
});
