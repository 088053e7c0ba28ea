/**
 * Conv2D and Conv3D, forward and both gradients (`Conv2DBackpropInput/Filter`, `Conv3DBackpropInputV2/FilterV2`),
 * by the addon's im2col + GEMM (`native/conv.cc`), threaded over samples. Channels-last only (tfjs's default
 * and what vtx's layers use); channels-first and non-float32 inputs go to the stock `cpu` kernel. The geometry
 * (padding, output size) comes from tfjs's own `computeConv2DInfo` / `computeConv3DInfo`, so `same`, `valid`,
 * explicit padding and rounding modes mean exactly what they mean on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { alloc, allFloat32, f32, ints, output, size, type KernelFactory, type KernelArgs } from './util.js';

type Conv2DInfo = tf.backend_util.Conv2DInfo;
type Conv3DInfo = tf.backend_util.Conv3DInfo;
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

const MODE = { forward: 0, input: 1, filter: 2 } as const;

/** The 21 integers of `vtx::ConvGeom`: a 2-D convolution is the depth-1 case. */
function geom2d(c: Conv2DInfo): Float64Array {
  // prettier-ignore
  return ints([
    c.batchSize, 1, c.inHeight, c.inWidth, c.inChannels,
    1, c.filterHeight, c.filterWidth, c.outChannels,
    1, c.strideHeight, c.strideWidth,
    1, c.dilationHeight, c.dilationWidth,
    0, c.padInfo.top, c.padInfo.left,
    1, c.outHeight, c.outWidth,
  ]);
}

function geom3d(c: Conv3DInfo): Float64Array {
  // prettier-ignore
  return ints([
    c.batchSize, c.inDepth, c.inHeight, c.inWidth, c.inChannels,
    c.filterDepth, c.filterHeight, c.filterWidth, c.outChannels,
    c.strideDepth, c.strideHeight, c.strideWidth,
    c.dilationDepth, c.dilationHeight, c.dilationWidth,
    c.padInfo.front, c.padInfo.top, c.padInfo.left,
    c.outDepth, c.outHeight, c.outWidth,
  ]);
}

interface Spec {
  /** The two operand names of this kernel's inputs. */
  inputs: [string, string];
  mode: (typeof MODE)[keyof typeof MODE];
  /** The convolution's geometry and this kernel's output shape. */
  info(args: KernelArgs): { geometry: Float64Array; outShape: number[] } | null;
}

function convKernel(spec: Spec): KernelFactory {
  return (addon: NativeAddon, fallback) => (args) => {
    const [a, b] = spec.inputs.map((name) => args.inputs[name]);
    const info = a && b && allFloat32(a, b) ? spec.info(args) : null;
    if (!info) return fallback(args);
    const out = alloc(size(info.outShape));
    addon.conv(spec.mode, f32(args.backend, a!), f32(args.backend, b!), out, info.geometry);
    return output(args.backend, info.outShape, out);
  };
}

const attr = <T>(args: KernelArgs, name: string) => args.attrs?.[name] as T;
const channelsLast = (args: KernelArgs) => (attr<string>(args, 'dataFormat') ?? 'NHWC') === 'NHWC';

function info2d(args: KernelArgs, x: number[], filter: number[], dilations: number | [number, number]) {
  if (!channelsLast(args)) return null;
  const strides = attr<number | [number, number]>(args, 'strides');
  const pad = attr<Pad>(args, 'pad');
  const rounding = attr<Rounding>(args, 'dimRoundingMode');
  return tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number],
    filter as [number, number, number, number],
    strides,
    dilations,
    pad,
    rounding,
  );
}

function info3d(
  args: KernelArgs,
  x: number[],
  filter: number[],
  dilations: number | [number, number, number],
) {
  if ((attr<string>(args, 'dataFormat') ?? 'NDHWC') !== 'NDHWC') return null;
  const strides = attr<number | [number, number, number]>(args, 'strides');
  const pad = attr<'valid' | 'same'>(args, 'pad');
  return tf.backend_util.computeConv3DInfo(
    x as [number, number, number, number, number],
    filter as [number, number, number, number, number],
    strides,
    dilations,
    pad,
  );
}

const shapeOf = (args: KernelArgs, name: string) => args.inputs[name]!.shape;

export const conv2dKernel = convKernel({
  inputs: ['x', 'filter'],
  mode: MODE.forward,
  info(args) {
    const c = info2d(args, shapeOf(args, 'x'), shapeOf(args, 'filter'), attr(args, 'dilations') ?? 1);
    return c && { geometry: geom2d(c), outShape: c.outShape };
  },
});

export const conv2dBackpropInputKernel = convKernel({
  inputs: ['dy', 'filter'],
  mode: MODE.input,
  info(args) {
    const xShape = attr<number[]>(args, 'inputShape');
    const c = info2d(args, xShape, shapeOf(args, 'filter'), 1);
    return c && { geometry: geom2d(c), outShape: [...xShape] };
  },
});

export const conv2dBackpropFilterKernel = convKernel({
  inputs: ['x', 'dy'],
  mode: MODE.filter,
  info(args) {
    const filterShape = attr<number[]>(args, 'filterShape');
    const c = info2d(args, shapeOf(args, 'x'), filterShape, 1);
    return c && { geometry: geom2d(c), outShape: [...filterShape] };
  },
});

export const conv3dKernel = convKernel({
  inputs: ['x', 'filter'],
  mode: MODE.forward,
  info(args) {
    const c = info3d(args, shapeOf(args, 'x'), shapeOf(args, 'filter'), attr(args, 'dilations') ?? 1);
    return c && { geometry: geom3d(c), outShape: c.outShape };
  },
});

export const conv3dBackpropInputKernel = convKernel({
  inputs: ['dy', 'filter'],
  mode: MODE.input,
  info(args) {
    const xShape = attr<number[]>(args, 'inputShape');
    const c = info3d(args, xShape, shapeOf(args, 'filter'), 1);
    return c && { geometry: geom3d(c), outShape: [...xShape] };
  },
});

export const conv3dBackpropFilterKernel = convKernel({
  inputs: ['x', 'dy'],
  mode: MODE.filter,
  info(args) {
    const filterShape = attr<number[]>(args, 'filterShape');
    const c = info3d(args, shapeOf(args, 'x'), filterShape, 1);
    return c && { geometry: geom3d(c), outShape: [...filterShape] };
  },
});
