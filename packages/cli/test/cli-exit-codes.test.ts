/**
 * One exit-code convention for every vtx command, through the one report path (`main`): 0 ok, 1 failure, 2 bad usage
 * or config — for the data builders' flags, an unknown ablation, an existing run directory, a model with fewer
 * classes than its data and a `--backend` that does not exist, each named in one line without a stack trace.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { captureCli } from './helpers/cli.js';
import { tinyClassifier } from '../../train/test/helpers/tiny.js';

process.env['VTX_BACKEND'] = 'cpu';
const dir = mkdtempSync(join(tmpdir(), 'vtx-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const io = captureCli();
const { run } = io;

/** The tiny ViViT config as a YAML file (its dataset cached in the temp directory). */
function tinyYaml(): string {
  const file = join(dir, 'tiny.yaml');
  writeFileSync(file, stringify(tinyClassifier(join(dir, 'cache'), { backend: 'cpu' })));
  return file;
}

describe('vtx data', () => {
  it('2 for a flag that does not parse or options the builder rejects, before anything is written', async () => {
    const out = join(dir, 'never');
    expect(await run('data', 'build', 'synthetic', out, '--holdout', '[{')).toBe(2);
    expect(io.err).toMatch(/--holdout: '\[\{' is not JSON/);
    expect(await run('data', 'build', 'synthetic', out, '--count', '-3')).toBe(2);
    expect(io.err).toMatch(/invalid options/);
    expect(await run('data', 'build', 'native-shapes', out, '--sizes', '2x8')).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(io.err).not.toMatch(/\n\s+at /);
  });

  it('1 for bad input data (a directory that is not a dataset)', async () => {
    mkdirSync(join(dir, 'empty'));
    expect(await run('data', 'inspect', join(dir, 'empty'))).toBe(1);
    expect(io.err).toMatch(/^error: .*empty/);
  });
});

describe('vtx ablate', () => {
  it('2 for an unknown ablation, listing the known ones', async () => {
    expect(
      await run('ablate', 'no-such-ablation', '--runs', join(dir, 'ab'), '--docs', join(dir, 'docs')),
    ).toBe(2);
    expect(io.err).toMatch(/no-such-ablation/);
    expect(io.err).toMatch(/dit-conditioning/);
    expect(existsSync(join(dir, 'docs'))).toBe(false);
  });

  it('2 for --set without --runs and --docs (the shipped report stays), or with --report-only', async () => {
    expect(await run('ablate', 'dit-conditioning', '--set', 'train.steps=2')).toBe(2);
    expect(io.err).toMatch(/--set train\.steps=2: give --runs and --docs too/);
    io.err = '';
    const where = ['--runs', join(dir, 'ab'), '--docs', join(dir, 'docs')];
    expect(await run('ablate', 'dit-conditioning', '--set', 'train.steps=2', '--report-only', ...where)).toBe(
      2,
    );
    expect(io.err).toMatch(/--set changes the runs; --report-only runs nothing/);
    expect(existsSync(join(dir, 'docs'))).toBe(false);
    io.err = '';
    expect(await run('ablate', 'dit-conditioning', '--smoke', ...where)).toBe(2);
    expect(io.err).toMatch(/--smoke keeps nothing: it takes no --report-only, --runs or --docs/);
  });
});

describe('vtx sweep', () => {
  it('2 for a --set of a key the sweep varies, naming it, before anything is written', async () => {
    const out = join(dir, 'sweep');
    expect(await run('sweep', 'configs/sweeps/tiny.yaml', '--set', 'model.width=8', '--out', out)).toBe(2);
    expect(io.err).toMatch(/--set model\.width: the sweep varies model\.width/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('vtx train', () => {
  it('2 for a run directory that already holds a run, naming it and --resume', async () => {
    const out = join(dir, 'taken');
    mkdirSync(out);
    writeFileSync(join(out, 'config.yaml'), 'name: taken\n');
    expect(await run('train', '--config', tinyYaml(), '--out', out)).toBe(2);
    expect(io.err).toMatch(/already holds a run: resume it with --resume/);
  });

  it('2 for a model with fewer classes than its dataset, naming model.numClasses and the index', async () => {
    const out = join(dir, 'classes');
    expect(await run('train', '--config', tinyYaml(), '--out', out, '--set', 'model.numClasses=2')).toBe(2);
    expect(io.err).toMatch(/index\.json: model\.numClasses: 2, but the dataset has 4 classes/);
    expect(existsSync(out)).toBe(false);
  });

  it('2 for an unknown --backend, named as the flag (not as a --set override)', async () => {
    expect(await run('train', '--config', tinyYaml(), '--out', join(dir, 'gpu'), '--backend', 'gpu')).toBe(2);
    expect(io.err).toMatch(/backend/);
    expect(io.err).toMatch(/"gpu"/);
    expect(io.err).not.toMatch(/--set/);
  });
});
