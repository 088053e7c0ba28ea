/**
 * Weights and tensors in the PyTorch reference layouts, so official checkpoints load and outputs compare
 * without transposes:
 *   - DiT (facebookresearch/DiT models.py, adaLN-Zero): `x_embedder.proj.weight` (D, C, p, p),
 *     `t_embedder.mlp.0.weight` (D, 256), `y_embedder.embedding_table.weight`, `blocks.{i}.attn.qkv.weight`
 *     (3D, D), `blocks.{i}.adaLN_modulation.1.weight` (6D, D), `final_layer.linear.weight`, the fixed `pos_embed`.
 *   - ViT (timm VisionTransformer, class token, learned positions): `patch_embed.proj.weight`, `cls_token`,
 *     `pos_embed` (1, 1 + N, D), `blocks.{i}.norm1.weight`, …, `norm.weight`, `head.weight`.
 * vtx stores dense kernels as (in, out) and patch kernels as (ph·pw·C, D) in (ph, pw, C) order; PyTorch stores
 * `nn.Linear` weights as (out, in) and `nn.Conv2d` weights as (D, C, ph, pw).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { sincos2d, type NamedArray, type NamedArrays } from '@vtx/core';
import { ditName } from '../dit/config.js';
import type { ModelConfig } from '../registry.js';
import { gridOf, type ClipShape } from '../types.js';
import { vitName } from '../vit/config.js';

export type Reference = 'facebookresearch/DiT' | 'timm';

/** Which reference layout a config can exchange weights with, or a clear error why none. */
export function pytorchReference(cfg: ModelConfig): Reference {
  if (cfg.kind === 'dit') {
    if (cfg.conditioning !== 'adaLN-Zero') {
      throw new Error(
        `PyTorch interop: ${ditName(cfg)} with ${cfg.conditioning} has no official checkpoint layout (adaLN-Zero only)`,
      );
    }
    return 'facebookresearch/DiT';
  }
  if (cfg.kind === 'vit') {
    if (cfg.pool !== 'cls' || cfg.posEmbed !== 'learned') {
      throw new Error(
        `PyTorch interop: ${vitName(cfg)} needs pool 'cls' and posEmbed 'learned' (timm's layout)`,
      );
    }
    return 'timm';
  }
  throw new Error(`PyTorch interop is available for 'dit' and 'vit' models, not '${cfg.kind}'`);
}

type Transform = 'linear' | 'conv' | 'same' | 'pos';

/** The PyTorch name and layout transform of one vtx weight (`layer/weight`). */
function torchName(vtx: string): { name: string; transform: Transform } {
  const slash = vtx.indexOf('/');
  const layer = vtx.slice(0, slash);
  const w = vtx.slice(slash + 1);
  const leaf = w.split('/').pop()!;
  const inner = w.includes('/') ? `.${w.slice(0, w.lastIndexOf('/'))}` : '';
  const base = layer.endsWith('adaLN_modulation') ? `${layer}.1` : `${layer}${inner}`;
  switch (leaf) {
    case 'kernel':
      return { name: `${base}.weight`, transform: layer.endsWith('.proj') && !inner ? 'conv' : 'linear' };
    case 'bias':
      return { name: `${base}.bias`, transform: 'same' };
    case 'gamma':
      return { name: `${base}.weight`, transform: 'same' };
    case 'beta':
      return { name: `${base}.bias`, transform: 'same' };
    case 'embedding_table':
      return { name: `${layer}.embedding_table.weight`, transform: 'same' };
    case 'cls_token':
      return { name: 'cls_token', transform: 'same' };
    case 'pos_embed':
      return { name: 'pos_embed', transform: 'pos' };
    default:
      throw new Error(`PyTorch interop: no reference name for vtx weight '${vtx}'`);
  }
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** PyTorch tensor -> the vtx weight of `shape`. */
function toVtx(t: NamedArray, transform: Transform, shape: number[], name: string): Float32Array {
  const data = Float32Array.from(t.data);
  const size = shape.reduce((a, b) => a * b, 1);
  const mismatch = () =>
    new Error(
      `PyTorch interop: '${name}' has shape [${t.shape.join(', ')}], which does not fit vtx shape [${shape.join(', ')}]`,
    );
  if (data.length !== size) throw mismatch();
  switch (transform) {
    case 'same':
    case 'pos':
      return data;
    case 'linear': {
      const [out, inp] = t.shape as [number, number];
      if (t.shape.length !== 2 || inp !== shape[0] || out !== shape[1]) throw mismatch();
      return transpose2d(data, out, inp);
    }
    case 'conv': {
      const [d, c, ph, pw] = t.shape as [number, number, number, number];
      if (t.shape.length !== 4 || shape[1] !== d) throw mismatch();
      const k = new Float32Array(size); // (ph·pw·C, D): k[((i·pw + j)·C + ch)·D + o] = W[o, ch, i, j]
      for (let o = 0; o < d; o++)
        for (let ch = 0; ch < c; ch++)
          for (let i = 0; i < ph; i++)
            for (let j = 0; j < pw; j++)
              k[((i * pw + j) * c + ch) * d + o] = data[((o * c + ch) * ph + i) * pw + j]!;
      return k;
    }
  }
}

/** A vtx weight -> the PyTorch tensor. */
function toTorch(data: Float32Array, shape: number[], transform: Transform, patch: number): NamedArray {
  switch (transform) {
    case 'same':
      return { shape, data };
    case 'pos':
      return { shape: [1, ...shape], data };
    case 'linear':
      return { shape: [shape[1]!, shape[0]!], data: transpose2d(data, shape[0]!, shape[1]!) };
    case 'conv': {
      const [rows, d] = shape as [number, number];
      const c = rows / (patch * patch);
      const w = new Float32Array(data.length);
      for (let o = 0; o < d; o++)
        for (let ch = 0; ch < c; ch++)
          for (let i = 0; i < patch; i++)
            for (let j = 0; j < patch; j++)
              w[((o * c + ch) * patch + i) * patch + j] = data[((i * patch + j) * c + ch) * d + o]!;
      return { shape: [d, c, patch, patch], data: w };
    }
  }
}

/**
 * Load PyTorch-named tensors into a built model (in place). Every reference tensor must be used and every vtx
 * weight assigned; DiT's fixed `pos_embed` is checked against the table vtx computes.
 */
export function importPyTorchWeights(
  model: tfl.LayersModel,
  cfg: ModelConfig,
  tensors: NamedArrays,
  clip: ClipShape,
): void {
  pytorchReference(cfg);
  const used = new Set<string>();
  for (const w of model.weights) {
    const { name, transform } = torchName(w.originalName);
    const t = tensors[name];
    if (!t)
      throw new Error(
        `PyTorch interop: the checkpoint has no '${name}' (for vtx weight '${w.originalName}')`,
      );
    used.add(name);
    w.write(tf.tensor(toVtx(t, transform, w.shape as number[], name), w.shape as number[]));
  }
  if (cfg.kind === 'dit') {
    const pos = tensors['pos_embed'];
    if (pos) {
      used.add('pos_embed');
      const [, h, w] = gridOf(clip, [1, cfg.patch, cfg.patch]);
      const ours = sincos2d(pos.shape.at(-1)!, h, w);
      const worst = ours.reduce((m, v, i) => Math.max(m, Math.abs(v - pos.data[i]!)), 0);
      if (pos.data.length !== ours.length || worst > 1e-4) {
        throw new Error(
          `PyTorch interop: the checkpoint's pos_embed [${pos.shape.join(', ')}] is not DiT's sin-cos table for a ${h}x${w} grid`,
        );
      }
    }
  }
  const unused = Object.keys(tensors).filter((n) => !used.has(n));
  if (unused.length)
    throw new Error(
      `PyTorch interop: unexpected tensors in the checkpoint: ${unused.slice(0, 8).join(', ')}`,
    );
}

/** A built model's weights under the PyTorch reference names and layouts (DiT includes its fixed pos_embed). */
export function exportPyTorchWeights(model: tfl.LayersModel, cfg: ModelConfig, clip: ClipShape): NamedArrays {
  pytorchReference(cfg);
  const patch = cfg.kind === 'dit' || cfg.kind === 'vit' ? cfg.patch : 1;
  const out: NamedArrays = {};
  for (const w of model.weights) {
    const { name, transform } = torchName(w.originalName);
    out[name] = toTorch(w.read().dataSync() as Float32Array, w.shape as number[], transform, patch);
  }
  if (cfg.kind === 'dit') {
    const [, h, w] = gridOf(clip, [1, cfg.patch, cfg.patch]);
    const d = out['x_embedder.proj.bias']!.shape[0]!;
    out['pos_embed'] = { shape: [1, h * w, d], data: sincos2d(d, h, w) };
  }
  return out;
}

/** (N, C, H, W) -> (N, 1, H, W, C): PyTorch image batches to vtx 1-frame clips. */
export function nchwToClips(x: NamedArray): tf.Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return tf.tidy(() =>
    tf.tensor4d(Float32Array.from(x.data), [n, c, h, w]).transpose([0, 2, 3, 1]).reshape([n, 1, h, w, c]),
  );
}

/** (N, 1, H, W, C) -> (N, C, H, W) as a named array. */
export function clipsToNchw(y: tf.Tensor): NamedArray {
  const [n, , h, w, c] = y.shape as [number, number, number, number, number];
  const t = tf.tidy(() => y.reshape([n, h, w, c]).transpose([0, 3, 1, 2]));
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return { shape: [n, c, h, w], data };
}

/**
 * Run one forward pass on inputs in the PyTorch reference layout and return the output in that layout:
 * DiT: x (N, C, H, W), t (N,), y (N,) -> (N, 2C, H, W); ViT: x (N, C, H, W) -> logits (N, classes).
 */
export function predictPyTorchLayout(
  model: tfl.LayersModel,
  cfg: ModelConfig,
  inputs: NamedArrays,
): NamedArrays {
  const need = (k: string) => {
    const v = inputs[k];
    if (!v)
      throw new Error(
        `predict: the inputs have no '${k}' (expected ${cfg.kind === 'dit' ? 'x, t, y' : 'x'})`,
      );
    return v;
  };
  const x = nchwToClips(need('x'));
  if (cfg.kind === 'dit') {
    const n = x.shape[0];
    const t = tf.tensor2d(Float32Array.from(need('t').data), [n, 1]);
    const y = tf.tensor2d(Float32Array.from(need('y').data), [n, 1]);
    const out = model.apply([x, t, y], { training: false }) as tf.Tensor;
    const res = { out: clipsToNchw(out) };
    tf.dispose([x, t, y, out]);
    return res;
  }
  const logits = model.apply(x, { training: false }) as tf.Tensor;
  const res = { out: { shape: logits.shape, data: logits.dataSync() as Float32Array } };
  tf.dispose([x, logits]);
  return res;
}
