/**
 * Shared types and tiny helpers for every vtx layer.
 *
 * Shape legend used in every comment in vtx:
 *   B batch · T frames · H, W height/width · C channels
 *   pt, ph, pw tubelet (patch) size · T', H', W' token grid = T/pt, H/ph, W/pw · N = T'·H'·W' tokens
 *   D model width · Hd heads · Dh = D / Hd head width · M context (caption) length
 *
 * Token tensors travel between layers as a grid `(B, T', H', W', D)` whenever the grid matters
 * (space/time attention, position embeddings, unpatchify), so no layer bakes a grid into its weights
 * and a model accepts any clip size divisible by its patch at run time. Sequences without a grid
 * (ViT tokens after a class token, captions) are `(B, N, D)`.
 */
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
// Every gradient and the chained tensor methods (x.reshape(…)), registered at run time: in Node through the
// union package's CJS bundle, in bundlers through tfjs-core's own ESM modules (see package.json "imports").
import '#register-tfjs';
// Type augmentation for the chained methods (types only).
import type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';

/** The serialization package every vtx layer registers under: `vtx>ClassName`. */
export const PKG = 'vtx';

/** Constructor arguments of `tfl.layers.Layer` (not exported by tfjs-layers' barrel). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;
/** The `kwargs` of `Layer.call` (`training`, …). */
export type Kwargs = NonNullable<Parameters<tfl.layers.Layer['call']>[1]>;
/** A symbolic tensor in a functional model. */
export type Sym = tfl.SymbolicTensor;
export type Shape = tfl.Shape;
/** A token grid `[T', H', W']`. */
export type Grid3 = [number, number, number];
/** A tubelet size `[pt, ph, pw]`. */
export type Patch3 = [number, number, number];

/** Apply a single-output layer to symbolic inputs (narrows tfjs-layers' union return type). */
export function sym(layer: tfl.layers.Layer, ...inputs: Sym[]): Sym {
  const out = layer.apply(inputs.length === 1 ? inputs[0]! : inputs);
  if (Array.isArray(out) || !(out instanceof tfl.SymbolicTensor)) {
    throw new Error(`layer ${layer.name} did not return one symbolic tensor`);
  }
  return out;
}

/** Apply a multi-output layer to symbolic inputs. */
export function syms(layer: tfl.layers.Layer, ...inputs: Sym[]): Sym[] {
  const out = layer.apply(inputs.length === 1 ? inputs[0]! : inputs);
  if (!Array.isArray(out)) throw new Error(`layer ${layer.name} returned one tensor, expected several`);
  return out as Sym[];
}

/** The inputs of `call` as a list. */
export function asList(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(inputs) ? inputs : [inputs];
}

/** The first (or only) input of `call`. */
export function first(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  const x = Array.isArray(inputs) ? inputs[0] : inputs;
  if (x === undefined) throw new Error('layer called without inputs');
  return x;
}

/** The first input shape of `build`/`computeOutputShape`. */
export function firstShape(inputShape: Shape | Shape[]): Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
}

/** All input shapes of `build`/`computeOutputShape` as a list. */
export function shapeList(inputShape: Shape | Shape[]): Shape[] {
  return (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
}

/** The (known) last dimension of a shape: the feature width. */
export function lastDim(inputShape: Shape | Shape[]): number {
  const d = firstShape(inputShape).at(-1);
  if (d == null) throw new Error('the last (feature) dimension must be known when a layer is built');
  return d;
}

/** The dense layer (fused where the backend has the kernels): lives with the fused ops. */
export { linear, type LinearActivation } from './ops/linear.js';

export function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
