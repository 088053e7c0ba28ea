/**
 * Convolution parity: Conv2D and Conv3D forward against a float64 convolution by definition, and forward plus
 * both gradients (input and filter, through tf.grads) against the stock `cpu` kernels, over strides, `same`,
 * `valid` and explicit padding, dilation, odd sizes and the 1x1 (pointwise) fast path, with every GEMM
 * implementation the machine has.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { nativeAddon } from '../src/backend.js';
import {
  conv2dBackpropFilterKernel,
  conv2dBackpropInputKernel,
  conv2dKernel,
  conv3dBackpropFilterKernel,
  conv3dBackpropInputKernel,
  conv3dKernel,
} from '../src/kernels/conv.js';
import type { KernelFactory } from '../src/kernels/util.js';
import { host, parity, relErr, runOn, unavailable, type Host } from './helpers.js';

type V3 = [number, number, number];

/** y[n, od, oh, ow, co] = Σ x[n, id, ih, iw, ci] · f[a, b, c, ci, co] in float64 (channels-last, 3-D). */
function reference(x: Host, f: Host, strides: V3, dil: V3, pad: V3, out: V3): Float64Array {
  const [n, d, h, w, cin] = x.shape as [number, number, number, number, number];
  const [kd, kh, kw, , cout] = f.shape as [number, number, number, number, number];
  const y = new Float64Array(n * out[0] * out[1] * out[2] * cout);
  let o = 0;
  for (let s = 0; s < n; s++)
    for (let od = 0; od < out[0]; od++)
      for (let oh = 0; oh < out[1]; oh++)
        for (let ow = 0; ow < out[2]; ow++)
          for (let co = 0; co < cout; co++, o++) {
            let acc = 0;
            for (let a = 0; a < kd; a++)
              for (let b = 0; b < kh; b++)
                for (let c = 0; c < kw; c++) {
                  const [id, ih, iw] = [
                    od * strides[0] - pad[0] + a * dil[0],
                    oh * strides[1] - pad[1] + b * dil[1],
                    ow * strides[2] - pad[2] + c * dil[2],
                  ];
                  if (id < 0 || id >= d || ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                  for (let ci = 0; ci < cin; ci++)
                    acc +=
                      x.values[(((s * d + id) * h + ih) * w + iw) * cin + ci]! *
                      f.values[(((a * kh + b) * kw + c) * cin + ci) * cout + co]!;
                }
            y[o] = acc;
          }
  return y;
}

type Pad2 = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case2 {
  name: string;
  x: number[];
  f: number[];
  strides: [number, number];
  pad: Pad2;
  dilations?: [number, number];
}
const CASES_2D: Case2[] = [
  { name: '3x3 same, odd sizes', x: [2, 7, 9, 3], f: [3, 3, 3, 5], strides: [1, 1], pad: 'same' },
  { name: '3x3 stride 2 valid (down-sampling)', x: [3, 8, 8, 4], f: [3, 3, 4, 6], strides: [2, 2], pad: 'valid' },
  { name: '4x2 stride (2, 1), explicit padding', x: [2, 9, 6, 2], f: [4, 2, 2, 3], strides: [2, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { name: '1x1 pointwise', x: [3, 5, 5, 8], f: [1, 1, 8, 4], strides: [1, 1], pad: 'valid' },
  { name: '3x3 stride 2 same, one sample', x: [1, 7, 7, 5], f: [3, 3, 5, 2], strides: [2, 2], pad: 'same' },
  // patches of 1170 and 630 values (the U-Net's deeper levels have 576-1152)
  { name: '3x3 same, 130 channels', x: [2, 11, 13, 130], f: [3, 3, 130, 3], strides: [1, 1], pad: 'same' },
  { name: '3x3 stride 2 same, 70 channels', x: [2, 21, 19, 70], f: [3, 3, 70, 4], strides: [2, 2], pad: 'same' },
]; // prettier-ignore

interface Case3 {
  name: string;
  x: number[];
  f: number[];
  strides: V3;
  pad: 'same' | 'valid';
  dilations?: V3;
}
const CASES_3D: Case3[] = [
  { name: '3x3x3 same', x: [2, 4, 6, 5, 3], f: [3, 3, 3, 3, 4], strides: [1, 1, 1], pad: 'same' },
  { name: '1x3x3 stride (1, 2, 2) valid', x: [2, 3, 7, 8, 2], f: [1, 3, 3, 2, 5], strides: [1, 2, 2], pad: 'valid' },
  { name: '3x1x1 temporal, stride 2 same', x: [3, 5, 3, 3, 4], f: [3, 1, 1, 4, 4], strides: [2, 1, 1], pad: 'same' },
  { name: '1x1x1 pointwise', x: [2, 2, 3, 3, 6], f: [1, 1, 1, 6, 3], strides: [1, 1, 1], pad: 'valid' },
  { name: '3x3x3 same, 40 channels', x: [1, 3, 9, 9, 40], f: [3, 3, 3, 40, 2], strides: [1, 1, 1], pad: 'same' },
]; // prettier-ignore

/** The cotangent-weighted sum whose gradients are the conv's input and filter gradients. */
function gradsOf(conv: (x: tf.Tensor, f: tf.Tensor) => tf.Tensor, cot: tf.Tensor) {
  return tf.grads((x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(conv(x, f), cot)));
}

describe.skipIf(unavailable)('native convolutions', () => {
  const addon = nativeAddon()!;
  const initial = addon?.info().gemm ?? 'openblas';
  const impls = addon ? ['openblas', 'avx512', 'avx2', 'scalar'].filter((name) => addon.setGemm(name)) : [];
  addon?.setGemm(initial);
  afterAll(() => void addon?.setGemm(initial));

  for (const impl of impls)
    it(`${impl}: Conv2D and Conv3D equal the convolution by definition (float64)`, () => {
      addon.setGemm(impl);
      try {
        const x = host([2, 6, 7, 3], 11);
        const f = host([3, 3, 3, 4], 12, 0.3);
        const [y2] = runOn('native', [x, f], (a, b) =>
          tf.conv2d(
            a as tf.Tensor4D,
            b as tf.Tensor4D,
            [2, 1],
            [
              [0, 0],
              [1, 1],
              [2, 0],
              [0, 0],
            ],
          ),
        );
        // the input and filter gradients through this GEMM (the filter's accumulates over the batch: C += A·B)
        const conv = (a: tf.Tensor, b: tf.Tensor) =>
          tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [2, 1], 'same');
        const cot = host(runOn('cpu', [x, f], conv)[0]!.shape, 15);
        expect(parity([x, f, cot], (a, b, c) => gradsOf(conv, c)([a, b]))).toBeLessThan(1e-5);
        const x3 = { ...x, shape: [2, 1, 6, 7, 3] };
        const f3 = { ...f, shape: [1, 3, 3, 3, 4] };
        expect(
          relErr(y2!.values, reference(x3, f3, [1, 2, 1], [1, 1, 1], [0, 1, 2], [1, 3, 7])),
        ).toBeLessThan(1e-5);
        const v = host([2, 5, 4, 6, 2], 13);
        const g = host([3, 2, 3, 2, 3], 14, 0.3);
        const [y3] = runOn('native', [v, g], (a, b) =>
          tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, [2, 1, 2], 'valid'),
        );
        expect(y3!.shape).toEqual([2, 2, 3, 2, 3]);
        expect(relErr(y3!.values, reference(v, g, [2, 1, 2], [1, 1, 1], [0, 0, 0], [2, 3, 2]))).toBeLessThan(
          1e-5,
        );
      } finally {
        addon.setGemm(initial);
      }
    });

  it.each(CASES_2D)('Conv2D $name: forward, input and filter gradients agree with cpu', (c) => {
    const conv = (x: tf.Tensor, f: tf.Tensor) =>
      tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.strides, c.pad, 'NHWC');
    const outShape = runOn('cpu', [host(c.x, 1), host(c.f, 2)], conv)[0]!.shape;
    const inputs = [host(c.x, 3), host(c.f, 4, 0.3), host(outShape, 5)];
    expect(parity(inputs, (x, f) => conv(x, f))).toBeLessThan(1e-5);
    expect(parity(inputs, (x, f, cot) => gradsOf(conv, cot)([x, f]))).toBeLessThan(1e-5);
  });

  it('Conv2D with dilation 2 (forward; tfjs has no dilated conv2d gradient)', () => {
    const conv = (x: tf.Tensor, f: tf.Tensor) =>
      tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same', 'NHWC', [2, 2]);
    expect(parity([host([2, 9, 8, 3], 6), host([3, 3, 3, 4], 7)], (x, f) => conv(x, f))).toBeLessThan(1e-5);
  });

  it.each(CASES_3D)('Conv3D $name: forward, input and filter gradients agree with cpu', (c) => {
    const conv = (x: tf.Tensor, f: tf.Tensor) =>
      tf.conv3d(x as tf.Tensor5D, f as tf.Tensor5D, c.strides, c.pad);
    const outShape = runOn('cpu', [host(c.x, 1), host(c.f, 2)], conv)[0]!.shape;
    const inputs = [host(c.x, 8), host(c.f, 9, 0.3), host(outShape, 10)];
    expect(parity(inputs, (x, f) => conv(x, f))).toBeLessThan(1e-5);
    expect(parity(inputs, (x, f, cot) => gradsOf(conv, cot)([x, f]))).toBeLessThan(1e-5);
  });

  it('each kernel computes on the native path (a fallback that throws is never called)', () => {
    const never = () => {
      throw new Error('fell back to the cpu kernel');
    };
    const prev = tf.getBackend();
    void tf.setBackend('native');
    try {
      const backend = tf.backend() as MathBackendCPU;
      const run = (factory: KernelFactory, inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap) => {
        const out = factory(addon, never)({ inputs, backend, attrs }) as tf.TensorInfo;
        return tf.engine().makeTensorFromTensorInfo(out).dataSync();
      };
      tf.tidy(() => {
        const x = tf.tensor4d(host([2, 5, 6, 3], 17).values, [2, 5, 6, 3]);
        const f = tf.tensor4d(host([3, 3, 3, 2], 18).values, [3, 3, 3, 2]);
        const a2 = {
          strides: [1, 1],
          pad: 'same',
          dataFormat: 'NHWC',
          dilations: 1,
        };
        const y = tf.conv2d(x, f, 1, 'same');
        expect(relErr(run(conv2dKernel, { x, filter: f }, a2), y.dataSync())).toBeLessThan(1e-5);
        const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), y)),
        )([x, f]);
        expect(
          relErr(
            run(conv2dBackpropInputKernel, { dy: y, filter: f }, { ...a2, inputShape: x.shape }),
            dx!.dataSync(),
          ),
        ).toBeLessThan(1e-5);
        expect(
          relErr(
            run(conv2dBackpropFilterKernel, { x, dy: y }, { ...a2, filterShape: f.shape }),
            df!.dataSync(),
          ),
        ).toBeLessThan(1e-5);
        const v = tf.reshape<tf.Rank.R5>(x, [2, 1, 5, 6, 3]);
        const g = tf.reshape<tf.Rank.R5>(f, [1, 3, 3, 3, 2]);
        const a3 = { strides: [1, 1, 1], pad: 'same', dataFormat: 'NDHWC', dilations: 1 };
        const y3 = tf.reshape(y, [2, 1, 5, 6, 2]);
        expect(relErr(run(conv3dKernel, { x: v, filter: g }, a3), y.dataSync())).toBeLessThan(1e-5);
        expect(
          relErr(
            run(conv3dBackpropInputKernel, { dy: y3, filter: g }, { ...a3, inputShape: v.shape }),
            dx!.dataSync(),
          ),
        ).toBeLessThan(1e-5);
        expect(
          relErr(
            run(conv3dBackpropFilterKernel, { x: v, dy: y3 }, { ...a3, filterShape: g.shape }),
            df!.dataSync(),
          ),
        ).toBeLessThan(1e-5);
      });
    } finally {
      void tf.setBackend(prev);
    }
  });
});
