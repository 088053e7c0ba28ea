import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadConfigFile,
  parseOverride,
  resolvedConfigYaml,
  validateConfig,
  writeResolvedConfig,
} from '../src/index.js';

const Schema = z.strictObject({
  name: z.string(),
  seed: z.int().default(0),
  model: z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('vit'),
      patch: z.array(z.int()).default([1, 4, 4]),
      depth: z.int().default(2),
    }),
    z.strictObject({ kind: z.literal('dit'), width: z.int() }),
  ]),
  optim: z
    .strictObject({
      lr: z.number().positive().default(1e-3),
      warmup: z.int().default(0),
      ema: z.boolean().default(false),
      note: z.string().default(''),
    })
    .prefault({}),
  tags: z.array(z.string()).default([]),
});

let dir: string;
const write = (name: string, text: string) => fs.writeFile(join(dir, name), text);
const p = (name: string) => join(dir, name);

async function issuesOf(promise: Promise<unknown>): Promise<string[]> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ConfigError);
  return (e as ConfigError).issues.map(
    (i) => `${i.file.replace(`${dir}/`, '')}${i.line ? `:${i.line}` : ''}: ${i.path}: ${i.message}`,
  );
}

beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'vtx-cfg-'));
  await write(
    'base.yaml',
    'name: base\nseed: 1\nmodel:\n  kind: vit\n  depth: 4\noptim:\n  lr: 0.1\n  warmup: 10\ntags: [a, b]\n',
  );
  await write('mid.yaml', 'extends: base.yaml\nseed: 2\noptim:\n  lr: 0.2\n');
  await write('child.yaml', 'extends: ./mid.yaml\nname: child\noptim:\n  ema: true\ntags: [c]\n');
  await write('typo.yaml', 'extends: base.yaml\noptim:\n  lrr: 0.3\n  warmup: ten\n');
  await write('cycle-a.yaml', 'extends: cycle-b.yaml\nname: a\n');
  await write('cycle-b.yaml', 'extends: [base.yaml, cycle-a.yaml]\n');
  await write('missing.yaml', 'name: x\nextends: nope.yaml\n');
  await write('bad.yaml', 'name: x\n  model: [\n');
  await write('list.yaml', 'extends: [base.yaml, other.yaml]\n');
  await write('other.yaml', 'model:\n  kind: dit\n  width: 64\n');
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe('loadConfigFile', () => {
  it('precedence: defaults < extends (recursively) < file < --set; maps merge, lists replace', async () => {
    const cfg = await loadConfigFile(p('child.yaml'), Schema, ['optim.lr=3e-4', 'model.patch=[2,4,4]']);
    expect(cfg).toEqual({
      name: 'child', // file
      seed: 2, // mid overrides base
      model: { kind: 'vit', depth: 4, patch: [2, 4, 4] }, // depth from base, patch from --set
      optim: { lr: 3e-4, warmup: 10, ema: true, note: '' }, // --set > mid > base, default note
      tags: ['c'], // list replaced, not concatenated
    });
    const cfg2 = await loadConfigFile(p('list.yaml'), Schema);
    // the later base wins; a different `kind` replaces the map instead of merging vit's keys into dit's
    expect(cfg2.model).toEqual({ kind: 'dit', width: 64 });
    expect(cfg2.name).toBe('base');
  });

  it('names unknown keys with a suggestion and wrong types with what was expected, by file and line', async () => {
    expect(await issuesOf(loadConfigFile(p('typo.yaml'), Schema))).toEqual([
      'typo.yaml:4: optim.warmup: expected number, got string "ten"',
      "typo.yaml:3: optim.lrr: unknown key (did you mean 'lr'?); expected one of: lr, warmup, ema, note",
    ]);
  });

  it('attributes override errors to --set and missing keys to the top file', async () => {
    await write('nomodel.yaml', 'name: n\n');
    expect(
      await issuesOf(
        loadConfigFile(p('nomodel.yaml'), Schema, ['optim.lr=-1', 'model.kind=vitt', 'seed=1.5']),
      ),
    ).toEqual([
      '--set: seed: expected integer, got number 1.5',
      '--set: model.kind: expected one of "vit" | "dit", got "vitt" (did you mean "vit"?)',
      '--set: optim.lr: Too small: expected number to be >0, got -1',
    ]);
    expect(await issuesOf(loadConfigFile(p('nomodel.yaml'), Schema))).toEqual([
      'nomodel.yaml: model: missing (expected object)',
    ]);
  });

  it('reports a missing extends target, a cycle, YAML syntax errors and a missing file', async () => {
    expect(await issuesOf(loadConfigFile(p('missing.yaml'), Schema))).toEqual([
      "missing.yaml:2: extends: cannot read 'nope.yaml' (ENOENT)",
    ]);
    const [cycle] = await issuesOf(loadConfigFile(p('cycle-a.yaml'), Schema));
    expect(cycle).toMatch(
      /^cycle-b\.yaml:1: extends: cycle: .*cycle-a\.yaml -> .*cycle-b\.yaml -> .*cycle-a\.yaml$/,
    );
    const [syntax] = await issuesOf(loadConfigFile(p('bad.yaml'), Schema));
    expect(syntax).toMatch(/^bad\.yaml:\d+: : /);
    expect(await issuesOf(loadConfigFile(p('nope.yaml'), Schema))).toEqual([
      'nope.yaml: : cannot read (ENOENT)',
    ]);
    await write('badext.yaml', 'extends: 3\n');
    expect(await issuesOf(loadConfigFile(p('badext.yaml'), Schema))).toEqual([
      'badext.yaml:1: extends: expected a file path or a list of file paths',
    ]);
  });

  it('formats all problems into one readable message without a stack in it', async () => {
    const e = (await loadConfigFile(p('typo.yaml'), Schema).catch((x: unknown) => x)) as ConfigError;
    expect(e.message.split('\n')).toEqual([
      '2 problems in the config:',
      expect.stringMatching(/^ {2}.*typo\.yaml:4: optim\.warmup: expected number/),
      expect.stringMatching(/^ {2}.*typo\.yaml:3: optim\.lrr: unknown key/),
    ]);
  });
});

describe('--set parsing', () => {
  it('parses values as YAML scalars and flow collections', () => {
    const v = (s: string) => parseOverride(s).value;
    expect(v('a=1e-3')).toBe(0.001);
    expect(v('a=3e-4')).toBe(0.0003);
    expect(v('a=42')).toBe(42);
    expect(v('a=-0.5')).toBe(-0.5);
    expect(v('a=true')).toBe(true);
    expect(v('a=false')).toBe(false);
    expect(v('a=null')).toBe(null);
    expect(v('a=[1,4,4]')).toEqual([1, 4, 4]);
    expect(v('a={x: 1, y: [a]}')).toEqual({ x: 1, y: ['a'] });
    expect(v('a=hello world')).toBe('hello world');
    expect(v('a="007"')).toBe('007');
    expect(v('a=x=y')).toBe('x=y');
    expect(v('a=')).toBe('');
    expect(parseOverride('model.patch.0=2').path).toEqual(['model', 'patch', '0']);
  });

  it('rejects malformed overrides', () => {
    expect(() => parseOverride('optim.lr')).toThrow(/--set: 'optim.lr' is not key.path=value/);
    expect(() => parseOverride('optim..lr=1')).toThrow(/not a dotted key path/);
    expect(() => parseOverride('a=[1,')).toThrow(/--set: a: cannot parse value '\[1,'/);
  });

  it('indexes into lists and replaces sub-trees', async () => {
    const cfg = await loadConfigFile(p('base.yaml'), Schema, [
      'model.patch=[1,2,2]',
      'model.patch.0=3',
      'tags.1=z',
      'optim={lr: 0.5}',
    ]);
    expect(cfg.model).toEqual({ kind: 'vit', depth: 4, patch: [3, 2, 2] });
    expect(cfg.tags).toEqual(['a', 'z']);
    expect(cfg.optim).toEqual({ lr: 0.5, warmup: 0, ema: false, note: '' }); // replaced, then defaults
    expect(await issuesOf(loadConfigFile(p('base.yaml'), Schema, ['tags.5=x']))).toEqual([
      '--set: tags.5: index 5 is past the end of a list of 2',
    ]);
  });
});

describe('resolved config', () => {
  it('writes YAML that reloads to the same config', async () => {
    const cfg = await loadConfigFile(p('child.yaml'), Schema, ['optim.note="a: b # c"', 'model.depth=7']);
    const text = resolvedConfigYaml(cfg);
    expect(text.startsWith('# ')).toBe(true);
    expect(YAML.parse(text)).toEqual(cfg);
    await writeResolvedConfig(p('resolved.yaml'), cfg);
    expect(await loadConfigFile(p('resolved.yaml'), Schema)).toEqual(cfg);
  });

  it('validateConfig checks programmatic configs too', () => {
    expect(() => validateConfig({ name: 'x', model: { kind: 'vit', depht: 3 } }, Schema)).toThrow(
      "<config>: model.depht: unknown key (did you mean 'depth'?); expected one of: kind, patch, depth",
    );
  });
});
