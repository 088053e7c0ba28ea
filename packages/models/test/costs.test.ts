/**
 * The cost counter against the papers and the reference implementations: parameter counts of the official
 * models and DiT's Table 4 Gflops, counted without allocating any weights.
 */
import { ModelConfig, modelCost, preset } from '@vtx/models';
import { describe, expect, it } from 'vitest';

const total = (name: string) => {
  const p = preset(name);
  const c = modelCost(p.model, p.clip);
  return { params: c.params + c.fixedParams, gflops: c.gflops, tokens: c.tokens };
};

describe('parameter counts equal the reference implementations', () => {
  it.each([
    ['ViT-B/16', 86_567_656], // timm vit_base_patch16_224
    ['ViT-L/16', 304_326_632], // timm vit_large_patch16_224
    ['ViT-H/14', 632_045_800], // timm vit_huge_patch14_224
    ['DiT-XL/2', 675_129_632], // facebookresearch/DiT, including the fixed pos_embed
    ['DiT-S/4', 32_945_024], // the PyTorch peer bench/peer/torch_reference.py; term by term: docs/notes/parameter-counts.md
  ])('%s has %i parameters', (name, params) => {
    expect(total(name).params).toBe(params);
  });
});

describe('DiT Table 4: forward Gflops within 1% of the paper', () => {
  const table4: [string, number, number][] = [
    ['DiT-S/8', 0.36, 16],
    ['DiT-S/4', 1.41, 64],
    ['DiT-S/2', 6.06, 256],
    ['DiT-B/8', 1.42, 16],
    ['DiT-B/4', 5.56, 64],
    ['DiT-B/2', 23.01, 256],
    ['DiT-L/8', 5.01, 16],
    ['DiT-L/4', 19.7, 64],
    ['DiT-L/2', 80.71, 256],
    ['DiT-XL/8', 7.39, 16],
    ['DiT-XL/4', 29.05, 64],
    ['DiT-XL/2', 118.64, 256],
  ];
  it.each(table4)('%s: %f Gflops, %i tokens', (name, gflops, tokens) => {
    const c = total(name);
    expect(c.tokens).toBe(tokens);
    expect(Math.abs(c.gflops - gflops) / gflops).toBeLessThan(0.01);
  });

  it('conditioning ablation (XL/2, Table 4 / Fig. 5): Gflops and params', () => {
    const rows: [string, number, number][] = [
      ['in-context', 119.37, 449e6],
      ['cross-attention', 137.62, 598e6],
      ['adaLN', 118.56, 600e6],
      ['adaLN-Zero', 118.64, 675e6],
    ];
    for (const [conditioning, gflops, params] of rows) {
      const c = modelCost(
        ModelConfig.parse({ kind: 'dit', size: 'XL', patch: 2, conditioning }),
        [1, 32, 32, 4],
      );
      expect(Math.abs(c.gflops - gflops) / gflops, conditioning).toBeLessThan(0.01);
      expect(Math.abs(c.params + c.fixedParams - params) / params, conditioning).toBeLessThan(0.005);
    }
  });
});

describe('ViViT Table 2 (ViViT-B/16x2, 32 frames at 224 px): params and GFLOPs within 1%', () => {
  it.each([
    ['ViViT-B/16x2', 88.9, 455.2],
    ['ViViT-B/16x2-FE', 115.1, 284.4],
    ['ViViT-B/16x2-FSA', 117.3, 372.3],
    ['ViViT-B/16x2-FDP', 88.9, 277.1],
  ])('%s: %fM params, %f GFLOPs', (name, mparams, gflops) => {
    const c = total(name);
    expect(Math.abs(c.params / 1e6 - mparams) / mparams).toBeLessThan(0.01);
    expect(Math.abs(c.gflops - gflops) / gflops).toBeLessThan(0.01);
  });

  it('model 4 has the fewest FLOPs and model 1 the most (the paper ordering)', () => {
    const f = ['ViViT-B/16x2', 'ViViT-B/16x2-FE', 'ViViT-B/16x2-FSA', 'ViViT-B/16x2-FDP'].map(
      (n) => total(n).gflops,
    );
    expect(Math.min(...f)).toBe(f[3]);
    expect(Math.max(...f)).toBe(f[0]);
  });
});

describe('presets', () => {
  it('a smaller patch means more tokens and more Gflops (ViT §4.5)', () => {
    expect(total('ViT-B/16').gflops).toBeGreaterThan(3.5 * total('ViT-B/32').gflops);
  });
  it('an unknown name is a clear error listing close names', () => {
    expect(() => preset('DiT-XXL/2')).toThrow(/unknown model preset 'DiT-XXL\/2'; known: DiT-S\/2/);
  });
});
