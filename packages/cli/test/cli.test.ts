/**
 * The vtx command line, in process (`main(argv)`): outputs, exit codes (0 ok, 1 failure, 2 usage/config), and
 * `vtx predict` parity against the PyTorch reference fixture.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors } from '@vtx/core';
import { afterAll, describe, expect, it } from 'vitest';
import { captureCli } from './helpers/cli.js';

process.env['VTX_BACKEND'] = 'cpu'; // the same numbers everywhere
const dir = mkdtempSync(join(tmpdir(), 'vtx-cli-'));
const fixtures = new URL('../../models/test/fixtures/', import.meta.url).pathname;
const io = captureCli();
const { run } = io;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vtx info', () => {
  it('describes DiT-XL/2 with the official parameter count and Table 4 Gflops', async () => {
    expect(await run('info', 'DiT-XL/2', '--json')).toBe(0);
    const info = JSON.parse(io.out) as { params: number; gflops: number; tokens: number };
    expect(info.params).toBe(675_129_632);
    expect(info.tokens).toBe(256);
    expect(Math.abs(info.gflops - 118.64) / 118.64).toBeLessThan(0.01);
  });

  it('takes a clip size for another resolution', async () => {
    expect(await run('info', 'ViT-B/16', '--clip', '384,384,3', '--json')).toBe(0);
    expect((JSON.parse(io.out) as { tokens: number }).tokens).toBe(24 * 24 + 1);
  });
});

describe('exit codes', () => {
  it('2 for an unknown command, a missing option, an unknown preset, a bad clip', async () => {
    expect(await run('nonsense')).toBe(2);
    expect(io.err).toMatch(/Unknown argument: nonsense/);
    expect(await run('train')).toBe(2);
    expect(await run('info', 'DiT-XXL/2')).toBe(2);
    expect(await run('info', 'DiT-S/2', '--clip', '3,x')).toBe(2);
    expect(io.err).not.toMatch(/\n\s+at /); // no stack traces
  });

  it('2 for an invalid config, naming the file, line and key', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\nmodel: { kind: vit, sise: B }\n');
    expect(await run('train', '--config', bad, '--out', join(dir, 'never'))).toBe(2);
    expect(io.err).toMatch(/bad\.yaml:2: model\.sise: unknown key \(did you mean 'size'\?\)/);
  });

  it('1 for a failure that is not the user input format, e.g. a missing run', async () => {
    expect(await run('eval', join(dir, 'no-such-run'))).not.toBe(0);
  });
});

describe('vtx predict', () => {
  it('reproduces the PyTorch DiT reference output from a safetensors checkpoint (PyTorch layouts in and out)', async () => {
    const o = join(dir, 'out.safetensors');
    const code = await run(
      'predict',
      '--model',
      join(fixtures, 'dit-tiny.model.yaml'),
      '--weights',
      join(fixtures, 'dit-tiny.weights.safetensors'),
      '--inputs',
      join(fixtures, 'dit-tiny.io.safetensors'),
      '--out',
      o,
      '--clip',
      '1,8,8,4',
    );
    expect(io.err).toBe('');
    expect(code).toBe(0);
    const got = decodeSafetensors(new Uint8Array(readFileSync(o))).tensors['out']!;
    const want = decodeSafetensors(new Uint8Array(readFileSync(join(fixtures, 'dit-tiny.io.safetensors'))))
      .tensors['out']!;
    expect(got.shape).toEqual([3, 8, 8, 8]);
    const scale = Math.max(...Array.from(want.data, Math.abs));
    const worst = Math.max(...Array.from(got.data, (v, i) => Math.abs(v - want.data[i]!)));
    expect(worst / scale).toBeLessThan(1e-4);
  });
});
