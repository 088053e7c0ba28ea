/**
 * One round of the convolution bench in its own process: every shape of bench/peer/convs.json (or `--conv NAME`),
 * each of its three passes (bench/convs.ts) run `--warmup` times and then timed over `--steps` calls on one
 * backend; one JSON line per (shape, pass) with milliseconds per call and GFLOP/s. The passes call the kernels a
 * training step's gradient calls (`Conv2D`, `Conv2DBackpropInput`, `Conv2DBackpropFilter`), with the U-Net's
 * geometry: stride s, symmetric padding (k - 1) / 2, channels last.
 *
 *   node --conditions=@vtx/source --import tsx bench/conv-step.ts --backend native [--conv conv3x3-32px-32c]
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { normalSeed, parseBackendName, selectBackend } from '@vtx/core';
import {
  CONV_PASSES,
  convGflop,
  convOutShape,
  convPad,
  loadConvs,
  type ConvPass,
  type ConvShape,
} from './convs.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native' },
    conv: { type: 'string' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
  },
});

const backend = parseBackendName(args.backend, '--backend');
// the optional backend packages resolve from @vtx/train, the package that depends on them (as train-step.ts)
const fromTrain = createRequire(new URL('../packages/train/package.json', import.meta.url));
const importer = (s: string) => import(pathToFileURL(fromTrain.resolve(s)).href);
await selectBackend({ override: backend, importer }).catch((e: Error) => {
  console.log(JSON.stringify({ bench: 'conv', impl: `vtx-${backend}`, skipped: e.message }));
  process.exit(0);
});

const convs = loadConvs().filter((c) => !args.conv || c.name === args.conv);
if (!convs.length) throw new Error(`--conv '${args.conv}' is not in bench/peer/convs.json`);

/** The pass as a function of fresh operands: the kernel the gradient of `tf.conv2d` runs. */
function pass(c: ConvShape, which: ConvPass): () => tf.Tensor {
  const k = c.kernel;
  const [cin, cout] = [c.input[3], c.filters];
  const x = tf.randomNormal(c.input, 0, 1, 'float32', normalSeed(1));
  const w = tf.randomNormal([k, k, cin, cout], 0, 0.1, 'float32', normalSeed(2));
  const dy = tf.randomNormal(convOutShape(c), 0, 1, 'float32', normalSeed(3));
  const attrs = { strides: c.stride, pad: convPad(c), dataFormat: 'NHWC', dimRoundingMode: undefined };
  const run = (name: string, inputs: tf.NamedTensorMap, extra: object) => () =>
    tf.engine().runKernel<tf.Tensor>(name, inputs, { ...attrs, ...extra } as unknown as tf.NamedAttrMap);
  if (which === 'forward') return run('Conv2D', { x, filter: w }, { dilations: 1 });
  if (which === 'input-gradient')
    return run('Conv2DBackpropInput', { dy, filter: w }, { inputShape: c.input });
  return run('Conv2DBackpropFilter', { x, dy }, { filterShape: [k, k, cin, cout] });
}

const warmup = Number(args.warmup);
const steps = Number(args.steps);
for (const c of convs) {
  for (const which of CONV_PASSES) {
    const f = pass(c, which);
    const call = async () => {
      const y = f();
      await y.data(); // webgpu: no synchronous readback
      y.dispose();
    };
    for (let i = 0; i < warmup; i++) await call();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await call();
    const ms = (performance.now() - t0) / steps;
    console.log(
      JSON.stringify({
        conv: c.name,
        pass: which,
        impl: `vtx-${backend}`,
        ms: +ms.toFixed(3),
        gflops: +(convGflop(c) / (ms / 1e3)).toFixed(2),
      }),
    );
  }
}
