/**
 * `vtx train --smoke` with MaskDiT's token masking (`model.maskRatio`) on the tiny video DiT with joint attention:
 * masked training steps, a resume, evaluation and sampling over every token, checkpoints; and the key on factorised
 * attention is a config error naming it (exit 2).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@vtx/core';
import { captureCli } from './helpers/cli.js';
import { tinyConfig } from '../../train/test/helpers/tiny.js';

const dir = mkdtempSync(join(tmpdir(), 'vtx-mask-smoke-'));
const io = captureCli();
const file = join(dir, 'tiny.yaml');
beforeAll(async () => {
  await selectBackend({ override: 'wasm' });
  const cfg = tinyConfig(join(dir, 'cache'), { name: `mask-smoke-${process.pid}`, sample: { count: 2 } });
  writeFileSync(file, JSON.stringify({ ...cfg, train: { ...cfg.train, steps: 50 } }));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await selectBackend({ override: 'cpu' });
});

describe('vtx train --smoke with model.maskRatio', () => {
  it('trains masked, resumes, evaluates and samples with joint attention', async () => {
    const set = ['--set', 'model.attention=joint', '--set', 'model.maskRatio=0.5'];
    expect(await io.run('train', '--config', file, '--smoke', ...set)).toBe(0);
    expect(io.out).toMatch(/^smoke test passed: .*2 steps in [\d.]+ s \(segments 0-1, 1-2: resumed/);
    expect(io.out).toMatch(/evaluation [^;]*val\/loss/);
    expect(io.out).toMatch(/samples [1-9]/);
  }, 600_000);

  it('refuses it for factorised attention, naming the key (exit 2)', async () => {
    expect(await io.run('train', '--config', file, '--smoke', '--set', 'model.maskRatio=0.5')).toBe(2);
    expect(io.err).toMatch(/model\.maskRatio.*attention: joint/);
  });
});
