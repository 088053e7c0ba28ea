/**
 * Bad configs and flags: a property test (fast-check) feeds malformed experiment YAML files (wrong types, values
 * out of range, unknown keys and enum values, missing keys, broken YAML syntax, bad `extends:`) and malformed
 * `--set` overrides through `loadConfigFile` and `train()`; every one must be a ConfigError naming the file (or
 * `--set`), with no stack trace in its message, and `train()` must create nothing before the config validates.
 * A sample of the same cases goes through the real `vtx train` CLI: exit code 2, no stack trace, no run directory.
 * Setup-time mismatches leave no run directory either: a clip size the patch does not divide is a config error
 * (exit 2, naming the size's key and model.patch), dataset classes vs numClasses exit 1.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ExperimentConfig, train } from '@vtx/train';
import { ConfigError, loadConfigFile } from '@vtx/config';
import { recordFault, runVtx } from './lib/index.js';
import { CHILD_ENV, LONG, tempDir, toYaml } from './helpers.js';
import { tinyClassifier } from '../helpers/tiny.js';

const dir = tempDir('config');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Tree = Record<string, unknown>;
const base = (): Tree => structuredClone(tinyClassifier(join(dir, 'cache')));

/** One malformed config: YAML text plus --set overrides, and a label for the ledger. */
interface BadCase {
  label: string;
  yaml: string;
  sets: string[];
}

const setIn = (t: Tree, path: string[], v: unknown): Tree => {
  let o = t;
  for (const k of path.slice(0, -1)) o = o[k] as Tree;
  if (v === undefined) delete o[path.at(-1)!];
  else o[path.at(-1)!] = v;
  return t;
};

/** Positive-integer fields and values that no positive integer schema accepts. */
const intFields = [
  ['train', 'steps'],
  ['train', 'logEvery'],
  ['train', 'checkpointEvery'],
  ['train', 'keepLast'],
  ['data', 'batchSize'],
  ['model', 'depth'],
  ['model', 'width'],
  ['eval', 'batches'],
];
const notPosInt = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
  fc.integer({ min: -1000, max: 0 }),
  fc.integer({ min: 0, max: 100 }).map((n) => n + 0.5),
);
const enumFields = [
  ['model', 'kind'],
  ['optim', 'kind'],
  ['log', 'level'],
  ['backend'],
  ['data', 'dataset', 'kind'],
  ['model', 'variant'],
];
const KNOWN = new Set([
  'vit',
  'vivit',
  'dit',
  'video-dit',
  'adamw',
  'sgd',
  'trace',
  'debug',
  'info',
  'warn',
  'error',
]);
const junkKey = fc
  .stringMatching(/^[a-z][a-zA-Z0-9_]{0,10}$/)
  .filter((k) => !['name', 'seed', 'data', 'model'].includes(k));
const sections = [[], ['train'], ['data'], ['optim'], ['model'], ['log'], ['eval']];

const treeCase: fc.Arbitrary<BadCase> = fc.oneof(
  fc.record({ f: fc.constantFrom(...intFields), v: notPosInt }).map(({ f, v }) => ({
    label: `${f.join('.')}: ${JSON.stringify(v)}`,
    yaml: toYaml(setIn(base(), f, v)),
    sets: [],
  })),
  fc
    .record({
      f: fc.constantFrom(...enumFields),
      v: fc.string({ maxLength: 10 }).filter((s) => !KNOWN.has(s)),
    })
    .map(({ f, v }) => ({
      label: `${f.join('.')}: ${JSON.stringify(v)}`,
      yaml: toYaml(setIn(base(), f, v)),
      sets: [],
    })),
  fc.record({ at: fc.constantFrom(...sections), k: junkKey, v: fc.jsonValue() }).map(({ at, k, v }) => {
    const t = base();
    const known = Object.keys(at.reduce<Tree>((o, s) => o[s] as Tree, t));
    if (known.includes(k)) k = `${k}_x`;
    return {
      label: `unknown key ${[...at, k].join('.')}`,
      yaml: toYaml(setIn(t, [...at, k], v ?? 0)),
      sets: [],
    };
  }),
  fc.constantFrom(['name'], ['model'], ['model', 'kind']).map((p) => ({
    label: `missing ${p.join('.')}`,
    yaml: toYaml(setIn(base(), [...p], undefined)),
    sets: [],
  })),
  fc.constantFrom('../escape', 'a/b', '..', '.hidden', '', 'x y', 'a\\b', '-rf').map((name) => ({
    label: `name ${JSON.stringify(name)}`,
    yaml: toYaml(setIn(base(), ['name'], name)),
    sets: [],
  })),
);

/** Broken YAML text: a valid file with a syntax error spliced in. */
const syntaxCase: fc.Arbitrary<BadCase> = fc
  .record({
    junk: fc.constantFrom(
      'model: {kind: vit\n',
      'train: [1, 2\n',
      '  - dangling\n  x: :\n',
      'a: b: c\n',
      'name: dup\nname: dup2\n',
      '\tseed: 1\n',
      'x: *undefined_alias\n',
      'steps: "unterminated\n',
      'key: [a, b]]\n',
      '? [complex]\n: key\n',
    ),
    where: fc.nat(),
  })
  .map(({ junk, where }) => {
    const lines = toYaml(base()).split('\n');
    const at = where % lines.length;
    return {
      label: `syntax: ${JSON.stringify(junk.trim())} at line ${at + 1}`,
      yaml: [...lines.slice(0, at), junk, ...lines.slice(at)].join('\n'),
      sets: [],
    };
  });

/** Malformed --set flags on a valid file. */
const setCase: fc.Arbitrary<BadCase> = fc
  .oneof(
    fc.constantFrom(
      'train.steps',
      '=3',
      'train..steps=3',
      'train.steps=[1,',
      'model.patch.7=2',
      'train.steps=-5',
      'train.steps=1e400',
      'optim.lr=fast',
      'data.dataset.count={a: 1}',
      '__proto__.polluted=1',
      'constructor.prototype=1',
      'train.ema.decay=2',
      'model=null',
      'name=../../x',
    ),
    fc
      .record({
        f: fc.constantFrom(...intFields),
        v: fc.constantFrom('"7"', 'true', '[]', '{}', '0', '-1', '2.5', '~'),
      })
      .map(({ f, v }) => `${f.join('.')}=${v}`),
    fc.record({ k: junkKey, v: fc.integer() }).map(({ k, v }) => `train.${k}_zz=${v}`),
  )
  .map((s) => ({ label: `--set ${s}`, yaml: toYaml(base()), sets: [s] }));

const anyCase = fc.oneof(treeCase, syntaxCase, setCase);

let files = 0;
function writeCase(c: BadCase): string {
  const f = join(dir, `bad-${files++}.yaml`);
  writeFileSync(f, c.yaml);
  return f;
}

describe('malformed configs and --set flags', () => {
  it('every case is a clean ConfigError from loadConfigFile, and train() creates nothing', async () => {
    const runs = LONG ? 2000 : 150;
    const seen: string[] = [];
    await fc.assert(
      fc.asyncProperty(anyCase, async (c) => {
        const file = writeCase(c);
        const err = await loadConfigFile(file, ExperimentConfig, c.sets).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, `${c.label} was accepted`).toBeInstanceOf(ConfigError);
        const e = err as ConfigError;
        expect(e.issues.length).toBeGreaterThan(0);
        for (const i of e.issues)
          expect([file.slice(process.cwd().length + 1), file, '--set']).toContain(i.file);
        expect(e.message).not.toMatch(/\n\s+at /);
        seen.push(c.label);
      }),
      { numRuns: runs, seed: 8 },
    );
    // train() validates before it touches the disk: invalid objects never create the run directory.
    await fc.assert(
      fc.asyncProperty(treeCase, async (c) => {
        const out = join(dir, 'never');
        const { parse } = await import('yaml');
        const err = await train(parse(c.yaml) as never, { out }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConfigError);
        expect(existsSync(out)).toBe(false);
      }),
      { numRuns: LONG ? 300 : 40, seed: 9 },
    );
    recordFault({
      area: 'bad config (property test)',
      fault: `${seen.length} malformed YAML files / --set flags, e.g. ${seen.slice(0, 4).join('; ')}`,
      outcome:
        'every one a ConfigError naming its file or --set, no stack trace; train() created no run directory',
    });
  });

  it('the vtx CLI: exit 2, one clean message, no run directory', async () => {
    const cases = fc.sample(anyCase, { numRuns: LONG ? 24 : 1, seed: 11 });
    for (const c of cases) {
      const file = writeCase(c);
      const out = join(dir, `cli-run-${files}`);
      const r = await runVtx(
        ['train', '--config', file, '--out', out, ...c.sets.flatMap((s) => ['--set', s])],
        {
          env: CHILD_ENV,
        },
      );
      expect(r.code, `${c.label}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^error: invalid config\n/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
      recordFault({
        area: 'bad config (CLI)',
        fault: `vtx train with ${c.label}`,
        outcome: `exit 2: "${r.stderr.split('\n')[1]!.replace(dir, '').slice(0, 100)}"; no run directory`,
      });
    }
  });

  it('setup-time mismatches (clip vs patch, dataset classes vs numClasses: exit 2), clear error, no run directory', async () => {
    const yaml = writeCase({ label: 'ok', yaml: toYaml(base()), sets: [] });
    const cases = [
      {
        set: 'model.patch=[3,8,8]',
        code: 2,
        want: /data\.dataset: clip 4x16x16 is not divisible by model\.patch 3x8x8/,
      },
      {
        set: 'model.numClasses=2',
        code: 2,
        want: /index\.json: model\.numClasses: 2, but the dataset has 4 classes/,
      },
    ];
    for (const c of LONG ? cases : cases.slice(1)) {
      const out = join(dir, `setup-${files++}`);
      const r = await runVtx(['train', '--config', yaml, '--out', out, '--set', c.set], { env: CHILD_ENV });
      expect(r.code, r.stderr).toBe(c.code);
      expect(r.stderr).toMatch(c.want);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).filter((n) => n.startsWith('setup-'))).toEqual([]);
      recordFault({
        area: 'bad config (CLI)',
        fault: `vtx train --set ${c.set} (valid schema, does not fit the data)`,
        outcome: `exit ${c.code}: "${r.stderr.trim().split('\n').at(-1)!.replace(dir, '').slice(0, 100)}"; no run directory`,
      });
    }
  });
});
