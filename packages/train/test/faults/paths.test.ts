/**
 * Paths from config values never escape: the run name (which names `runs/<name>`) rejects anything that is not a
 * single plain path component, for any string (property test), so `train()` can only create `runs/<name>` inside
 * `runs/`; checkpoint group names and dataset names (shard file prefixes) are checked the same way.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { DatasetWriter } from '@vtx/data';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ExperimentConfig, train } from '@vtx/train';
import { CheckpointError, saveCheckpoint } from '@vtx/checkpoint';
import { ConfigError } from '@vtx/config';
import { recordFault } from './lib/index.js';
import { LONG, tempDir } from './helpers.js';
import { tinyClassifier } from '../helpers/tiny.js';

const dir = tempDir('paths');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const escapes = [
  '..',
  '../x',
  '../../etc/passwd',
  'a/../../b',
  '/abs',
  'a/b',
  'a\\..\\b',
  '.',
  '.hidden',
  '',
  'x\0y',
  '~/x',
];

describe('no path escapes from config values', () => {
  it('run names: every string is rejected or names a directory directly inside runs/', async () => {
    const seen: string[] = [];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom(...escapes),
          fc.string({ maxLength: 12 }),
          fc.stringMatching(/^[./\\a-z]{1,8}$/),
        ),
        (name) => {
          const r = ExperimentConfig.safeParse({ ...tinyClassifier(join(dir, 'cache')), name });
          if (!r.success) return;
          const runDir = resolve('runs', r.data.name);
          const rel = relative(resolve('runs'), runDir);
          expect(rel).toBe(r.data.name);
          expect(rel.includes(sep) || rel.startsWith('..') || rel === '' || rel === '.').toBe(false);
          seen.push(name);
        },
      ),
      { numRuns: LONG ? 5000 : 500, seed: 3 },
    );
    // train() refuses the escaping ones before creating anything.
    for (const name of escapes) {
      const err = await train({ ...tinyClassifier(join(dir, 'cache')), name }).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ConfigError);
    }
    expect(existsSync(join(dir, 'etc'))).toBe(false);
    recordFault({
      area: 'paths',
      fault: `run names: ${escapes.map((e) => JSON.stringify(e)).join(', ')} and ${LONG ? 5000 : 500} random strings`,
      outcome:
        'escaping names are ConfigErrors before anything is created; accepted names are one plain path component',
    });
  });

  it('checkpoint group names and dataset names cannot carry a path', async () => {
    for (const group of ['../w', 'a/b', '..']) {
      const err = await saveCheckpoint(join(dir, 'ck'), {
        step: 1,
        groups: { [group]: { tensors: {}, metadata: {} } },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckpointError);
    }
    for (const name of ['../x', 'a/b', '..\\x']) {
      const err = await DatasetWriter.create(join(dir, 'ds'), { name, dtype: 'uint8', builder: {} }).catch(
        (e: unknown) => e,
      );
      expect((err as Error).message).toMatch(/must match/);
    }
    expect(existsSync(join(dir, 'w'))).toBe(false);
    recordFault({
      area: 'paths',
      fault: "checkpoint groups '../w', 'a/b', '..'; dataset names '../x', 'a/b', '..\\x'",
      outcome: 'rejected with errors naming the bad name; nothing written outside the target',
    });
  });
});
