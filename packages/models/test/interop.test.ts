/**
 * PyTorch interop parity: the same weights and inputs give the same outputs as an independent PyTorch
 * implementation of the reference models (fixtures/make_parity.py, run once with Debian's python3-torch; see
 * fixtures/README.md). Also: export -> import is lossless, and bad checkpoints fail with names.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors, setSeed, type NamedArrays } from '@vtx/core';
import {
  ModelConfig,
  buildModel,
  exportPyTorchWeights,
  importPyTorchWeights,
  predictPyTorchLayout,
  type ClipShape,
} from '@vtx/models';
import { afterEach, describe, expect, it } from 'vitest';

const fixture = (name: string): NamedArrays =>
  decodeSafetensors(new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url))), name)
    .tensors;

const maxRelErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / scale;
};

const DIT = ModelConfig.parse({
  kind: 'dit',
  size: 'S',
  depth: 2,
  width: 32,
  heads: 4,
  patch: 2,
  numClasses: 10,
});
const DIT_CLIP: ClipShape = [1, 8, 8, 4];
const VIT = ModelConfig.parse({
  kind: 'vit',
  size: 'Ti',
  depth: 2,
  width: 32,
  heads: 4,
  patch: 4,
  numClasses: 7,
});
const VIT_CLIP: ClipShape = [1, 16, 16, 3];

afterEach(() => tf.disposeVariables());

describe.each([
  ['DiT (facebookresearch/DiT layout)', DIT, DIT_CLIP, 'dit-tiny'],
  ['ViT (timm layout)', VIT, VIT_CLIP, 'vit-tiny'],
] as const)('%s', (_, cfg, clip, name) => {
  it('reproduces the PyTorch reference output from the same weights and inputs', () => {
    setSeed(1);
    const model = buildModel(cfg, clip);
    importPyTorchWeights(model, cfg, fixture(`${name}.weights.safetensors`), clip);
    const io = fixture(`${name}.io.safetensors`);
    const out = predictPyTorchLayout(model, cfg, io).out!;
    expect(out.shape).toEqual(io['out']!.shape);
    expect(maxRelErr(out.data, io['out']!.data)).toBeLessThan(1e-4);
  });

  it('exports to exactly the tensors it imported', () => {
    setSeed(2);
    const model = buildModel(cfg, clip);
    const weights = fixture(`${name}.weights.safetensors`);
    importPyTorchWeights(model, cfg, weights, clip);
    const back = exportPyTorchWeights(model, cfg, clip);
    expect(Object.keys(back).sort()).toEqual(Object.keys(weights).sort());
    for (const [k, t] of Object.entries(weights)) {
      expect(back[k]!.shape, k).toEqual(t.shape);
      expect(maxRelErr(back[k]!.data, t.data), k).toBeLessThan(1e-6);
    }
  });

  it('names the missing tensor of an incomplete checkpoint', () => {
    setSeed(3);
    const model = buildModel(cfg, clip);
    const weights = fixture(`${name}.weights.safetensors`);
    delete weights['blocks.1.attn.qkv.weight'];
    expect(() => importPyTorchWeights(model, cfg, weights, clip)).toThrow(
      /no 'blocks\.1\.attn\.qkv\.weight'/,
    );
  });

  it('names a tensor whose shape does not fit', () => {
    setSeed(4);
    const model = buildModel(cfg, clip);
    const weights = fixture(`${name}.weights.safetensors`);
    weights['blocks.0.mlp.fc1.weight'] = { shape: [3, 3], data: new Float32Array(9) };
    expect(() => importPyTorchWeights(model, cfg, weights, clip)).toThrow(
      /'blocks\.0\.mlp\.fc1\.weight' has shape \[3, 3\]/,
    );
  });
});

describe('interop limits', () => {
  it('refuses configs without an official layout, saying why', () => {
    setSeed(5);
    const cross = ModelConfig.parse({ ...DIT, conditioning: 'cross-attention' });
    expect(() => importPyTorchWeights(buildModel(cross, DIT_CLIP), cross, {}, DIT_CLIP)).toThrow(
      /adaLN-Zero only/,
    );
    const skips = ModelConfig.parse({ ...DIT, longSkips: true });
    expect(() => importPyTorchWeights(buildModel(skips, DIT_CLIP), skips, {}, DIT_CLIP)).toThrow(
      /with longSkips has no official checkpoint layout/,
    );
  });
});
