/**
 * Model plugins in configs and on the command line: `plugins:` (relative to the YAML file that lists it) and
 * `--plugin FILE` are imported before validation, so a registered `kind:` validates, with errors that name the
 * file, line and key; a missing plugin or one that throws is a config error (exit 2) naming the path and key.
 * A registered diffusion model trains and samples through the same trainer as the zoo's.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelConfig, registerModel } from '@vtx/models';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ExperimentConfig, loadRun, train } from '@vtx/train';
import { ConfigError, loadConfigFile } from '@vtx/config';
import { captureCli } from './helpers/cli.js';

process.env['VTX_BACKEND'] = 'cpu';
const dir = mkdtempSync(join(tmpdir(), 'vtx-plugins-'));
const mixer = new URL('../../../examples/new-model/my-model.ts', import.meta.url).pathname;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  const path = join(dir, name);
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};
const vitModel = 'model: { kind: vit, patch: 4, depth: 1, width: 8, heads: 2, numClasses: 4 }\n';
write('sub/flag.mjs', 'globalThis.__vtxFlagPlugin = (globalThis.__vtxFlagPlugin ?? 0) + 1;\n');
write('boom.mjs', "throw new Error('boom: this plugin needs a GPU');\n");

const io = captureCli();
const { run } = io;

describe('plugins: in an experiment config', () => {
  it('imports them before validation, relative to the file that lists them (through extends)', async () => {
    write('sub/base.yaml', `name: base\nplugins: [flag.mjs]\n${vitModel}`);
    const exp = write('exp.yaml', 'extends: sub/base.yaml\nname: exp\n');
    const cfg = await loadConfigFile(exp, ExperimentConfig);
    expect(cfg.plugins).toEqual([join(dir, 'sub/flag.mjs')]);
    expect((globalThis as { __vtxFlagPlugin?: number }).__vtxFlagPlugin).toBe(1);
    await loadConfigFile(exp, ExperimentConfig); // a module is imported once per process
    expect((globalThis as { __vtxFlagPlugin?: number }).__vtxFlagPlugin).toBe(1);
  });

  it('validates a registered kind with its schema: typos name file, line and key, with a suggestion', async () => {
    const bad = write(
      'typo.yaml',
      `name: typo\nplugins: [${mixer}]\nmodel:\n  kind: video-mixer\n  widht: 8\n`,
    );
    const e = await loadConfigFile(bad, ExperimentConfig).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    const issues = (e as ConfigError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: bad, line: 5, path: 'model.widht' });
    expect(issues[0]!.message).toMatch(
      /^unknown key \(did you mean 'width'\?\); expected one of: kind, patch, depth, width/,
    );
  });

  it('lists registered kinds with the built-in ones for an unknown kind', async () => {
    const bad = write('kind.yaml', `name: kind\nplugins: [${mixer}]\nmodel: { kind: mixer }\n`);
    const e = (await loadConfigFile(bad, ExperimentConfig).catch((x: unknown) => x)) as ConfigError;
    expect(e.message).toMatch(
      /kind\.yaml:3: model\.kind: expected one of "vit" \| "vivit" \| "dit" \| "video-dit" \| "vae" \| .*"video-mixer".*, got "mixer"$/,
    );
  });

  it('exit 2 for a missing plugin file, naming the file, line, key and path', async () => {
    const bad = write('missing.yaml', `name: missing\nplugins:\n  - sub/flag.mjs\n  - nope.ts\n${vitModel}`);
    expect(await run('train', '--config', bad)).toBe(2);
    expect(io.err).toContain(`${bad}:4: plugins.1: plugin 'nope.ts' cannot read (ENOENT)`);
    expect(io.err).not.toMatch(/\n\s+at /);
  });

  it('exit 2 for a plugin that throws, with its message', async () => {
    const bad = write('boom.yaml', `name: boom\nplugins: [boom.mjs]\n${vitModel}`);
    expect(await run('train', '--config', bad)).toBe(2);
    expect(io.err).toContain(
      `${bad}:2: plugins.0: plugin 'boom.mjs' failed to load: boom: this plugin needs a GPU`,
    );
  });
});

describe('--plugin', () => {
  it('imports a plugin for vtx info on a bare model config', async () => {
    const model = write(
      'mixer-model.yaml',
      'kind: video-mixer\npatch: [2, 4, 4]\ndepth: 2\nwidth: 8\ntimeHidden: 3\nspaceHidden: 5\nmlpRatio: 2\n',
    );
    expect(await run('info', '--plugin', mixer, model, '--clip', '4,16,16,3', '--json')).toBe(0);
    const info = JSON.parse(io.out) as { model: string; params: number; tokens: number };
    expect(info).toMatchObject({ model: 'VideoMixer-2x8/2x4x4', params: 1880, tokens: 32 });
  });

  it('exit 2 for a missing or throwing plugin, naming the flag and path', async () => {
    expect(await run('info', 'ViT-B/16', '--plugin', join(dir, 'absent.ts'))).toBe(2);
    expect(io.err).toContain(`--plugin: '${join(dir, 'absent.ts')}': cannot read (ENOENT)`);
    io.err = '';
    expect(await run('eval', dir, '--plugin', join(dir, 'boom.mjs'))).toBe(2);
    expect(io.err).toContain('failed to load: boom: this plugin needs a GPU');
  });
});

describe('a registered diffusion model', () => {
  // [x (B, T, H, W, C), t (B, 1)] -> (B, T, H, W, 2C): a per-pixel linear map of x plus a linear map of t (layers
  // with weights are named: checkpoints match weights by name)
  const Denoiser = z.strictObject({
    kind: z.literal('test-denoiser'),
    channels: z.number().int().default(3),
  });
  registerModel({
    kind: 'test-denoiser',
    schema: Denoiser,
    task: 'diffuse',
    build: (cfg, clip) => {
      const x = tfl.input({ shape: [...clip], name: 'x' });
      const t = tfl.input({ shape: [1], name: 't' });
      const fx = tfl.layers.dense({ units: 2 * cfg.channels, name: 'fx' }).apply(x) as tfl.SymbolicTensor;
      const ft = tfl.layers.dense({ units: 2 * cfg.channels, name: 'ft' }).apply(t) as tfl.SymbolicTensor;
      const ft5 = tfl.layers.reshape({ targetShape: [1, 1, 1, 2 * cfg.channels] }).apply(ft);
      const y = tfl.layers.add().apply([fx, ft5 as tfl.SymbolicTensor]) as tfl.SymbolicTensor;
      return tfl.model({ inputs: [x, t], outputs: y });
    },
    cost: (cfg, clip) => {
      const c2 = 2 * cfg.channels;
      const params = (clip[3] + 1) * c2 + 2 * c2;
      const macs = clip[0] * clip[1] * clip[2] * clip[3] * c2 + c2;
      return {
        params,
        fixedParams: 0,
        tokens: 0,
        gflops: macs / 1e9,
        trainGflops: (3 * macs) / 1e9,
        activationBytes: 0,
      };
    },
    name: () => 'TinyDenoiser',
  });

  it('trains, checkpoints and samples (unconditional) through train() and loadRun()', async () => {
    const out = join(dir, 'denoiser');
    const summary = await train(
      {
        name: 'denoiser',
        data: {
          dataset: { kind: 'synthetic', count: 8, frames: 2, height: 8, width: 8 },
          cacheDir: join(dir, 'cache'),
          batchSize: 4,
          worker: false,
        },
        model: ModelConfig.parse({ kind: 'test-denoiser' }), // a parsed plugin config types as ModelConfigInput
        diffusion: { steps: 100, samplingSteps: '4' },
        train: { steps: 3, logEvery: 1, checkpointEvery: 3 },
        eval: { batches: 1 },
        sample: { count: 2 },
        log: { tensorboard: false, progress: 'off', level: 'warn' },
      },
      { out, terminal: { write: () => true } as unknown as NodeJS.WritableStream },
    );
    expect(summary).toMatchObject({ status: 'completed', model: 'TinyDenoiser', step: 3, params: 36 }); // (3 + 1)·6 + (1 + 1)·6
    expect(Number.isFinite(summary.finalLoss)).toBe(true);
    expect(summary.samples).toHaveLength(1); // the final samples' GIF
    expect(existsSync(summary.samples[0]!)).toBe(true);
    const run = await loadRun(out);
    expect(run.condition).toEqual({ kind: 'none' });
  });
});
