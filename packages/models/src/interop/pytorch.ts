/**
 * Weights and tensors in the PyTorch reference layouts, so official checkpoints load and outputs compare
 * without transposes. What differs by family (the reference, which configs it covers, the inputs, fixed tables) is
 * the family's `pytorch` descriptor (`family.ts`); the name and layout rules below are shared:
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
import type { NamedArray, NamedArrays } from '@vtx/core';
import type { PyTorchLayout } from '../family.js';
import { familyOf, modelFamily, modelKinds, modelPatch, type ModelConfig } from '../registry.js';
import type { ClipShape } from '../types.js';

/** The family's PyTorch layout for a config, or a clear error why it has none. */
function layoutOf(cfg: ModelConfig): PyTorchLayout<ModelConfig> {
  const layout = familyOf(cfg).pytorch;
  if (!layout) {
    const kinds = modelKinds().filter((k) => modelFamily(k)?.pytorch);
    throw new Error(
      `PyTorch interop is available for ${kinds.map((k) => `'${k}'`).join(', ')} models, not '${cfg.kind}'`,
    );
  }
  const why = layout.unsupported?.(cfg);
  if (why) throw new Error(`PyTorch interop: ${why}`);
  return layout;
}

/** Which reference layout a config can exchange weights with (e.g. 'facebookresearch/DiT', 'timm'), or a clear error why none. */
export function pytorchReference(cfg: ModelConfig): string {
  return layoutOf(cfg).reference;
}

/** The [ph, pw] of a model's patch embedding (a 2-D convolution in the reference). */
function spatialPatch(cfg: ModelConfig): [number, number] {
  const p = modelPatch(cfg)?.patch ?? [1, 1, 1];
  return [p[1], p[2]];
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
function toTorch(
  data: Float32Array,
  shape: number[],
  transform: Transform,
  [ph, pw]: [number, number],
): NamedArray {
  switch (transform) {
    case 'same':
      return { shape, data };
    case 'pos':
      return { shape: [1, ...shape], data };
    case 'linear':
      return { shape: [shape[1]!, shape[0]!], data: transpose2d(data, shape[0]!, shape[1]!) };
    case 'conv': {
      const [rows, d] = shape as [number, number];
      const c = rows / (ph * pw);
      const w = new Float32Array(data.length);
      for (let o = 0; o < d; o++)
        for (let ch = 0; ch < c; ch++)
          for (let i = 0; i < ph; i++)
            for (let j = 0; j < pw; j++)
              w[((o * c + ch) * ph + i) * pw + j] = data[((i * pw + j) * c + ch) * d + o]!;
      return { shape: [d, c, ph, pw], data: w };
    }
  }
}

/**
 * Load PyTorch-named tensors into a built model (in place). Every reference tensor must be used and every vtx
 * weight assigned; fixed tables the reference stores (DiT's sin-cos `pos_embed`) are checked against the ones vtx
 * computes.
 */
export function importPyTorchWeights(
  model: tfl.LayersModel,
  cfg: ModelConfig,
  tensors: NamedArrays,
  clip: ClipShape,
): void {
  const layout = layoutOf(cfg);
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
  for (const [name, ours] of Object.entries(layout.fixed?.(cfg, clip) ?? {})) {
    const theirs = tensors[name];
    if (!theirs) continue;
    used.add(name);
    let worst = 0;
    for (let i = 0; i < ours.data.length; i++)
      worst = Math.max(worst, Math.abs(ours.data[i]! - theirs.data[i]!));
    if (theirs.data.length !== ours.data.length || worst > 1e-4) {
      throw new Error(
        `PyTorch interop: the checkpoint's ${name} [${theirs.shape.join(', ')}] is not the fixed table ${layout.reference} computes for clip ${clip.slice(0, 3).join('x')}`,
      );
    }
  }
  const unused = Object.keys(tensors).filter((n) => !used.has(n));
  if (unused.length)
    throw new Error(
      `PyTorch interop: unexpected tensors in the checkpoint: ${unused.slice(0, 8).join(', ')}`,
    );
}

/** A built model's weights under the PyTorch reference names and layouts, with the fixed tables the reference stores. */
export function exportPyTorchWeights(model: tfl.LayersModel, cfg: ModelConfig, clip: ClipShape): NamedArrays {
  const layout = layoutOf(cfg);
  const patch = spatialPatch(cfg);
  const out: NamedArrays = {};
  for (const w of model.weights) {
    const { name, transform } = torchName(w.originalName);
    out[name] = toTorch(w.read().dataSync() as Float32Array, w.shape as number[], transform, patch);
  }
  return { ...out, ...layout.fixed?.(cfg, clip) };
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
  const names = layoutOf(cfg).inputs;
  const need = (k: string) => {
    const v = inputs[k];
    if (!v) throw new Error(`predict: the inputs have no '${k}' (expected ${names.join(', ')})`);
    return v;
  };
  const x = nchwToClips(need('x'));
  const n = x.shape[0];
  const vectors = names.slice(1).map((k) => tf.tensor2d(Float32Array.from(need(k).data), [n, 1]));
  const xs = [x, ...vectors];
  const y = model.apply(xs.length === 1 ? x : xs, { training: false }) as tf.Tensor;
  // a clip (N, 1, H, W, C) goes back to (N, C, H, W); logits stay as they are
  const res = { out: y.rank === 5 ? clipsToNchw(y) : { shape: y.shape, data: y.dataSync() as Float32Array } };
  tf.dispose([...xs, y]);
  return res;
}
