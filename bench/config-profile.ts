/**
 * The kernels of one training step of a diffusion config's model (e.g. configs/unet-tiny.yaml, whose U-Net is not
 * a bench/peer workload), by total time over the step (tf.profile) with the kernel count, like
 * `bench/train-step.ts --profile`: the YAML's model and batch size on clips of `--clip` (its dataset's frames,
 * height, width, channels), a fresh random batch (clip, timestep, a class when the model takes one), MSE to
 * random noise, AdamW. One JSON line, then one line per kernel.
 *
 *   node --conditions=@vtx/source --import tsx bench/config-profile.ts configs/unet-tiny.yaml --clip 1,32,32,1
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { normalSeed, parseBackendName, selectBackend, setSeed, variableGrads } from '@vtx/core';
import { DiffusionConfig, ModelConfig, buildModel, makeProcess, type ClipShape } from '@vtx/models';
import { readConfigTree } from '@vtx/config';
import { AdamW, namedParams } from '@vtx/train';
import { printKernelProfile } from './kernel-profile.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { backend: { type: 'string', default: 'native' }, clip: { type: 'string' } },
});
const clipArg = (args.clip ?? '').split(',').map(Number);
if (positionals.length !== 1 || clipArg.length !== 4 || !clipArg.every((n) => Number.isInteger(n) && n > 0)) {
  console.error('usage: config-profile.ts CONFIG.yaml --clip T,H,W,C [--backend native]');
  process.exit(2);
}
const clip = clipArg as ClipShape;
const fromTrain = createRequire(new URL('../packages/train/package.json', import.meta.url));
const importer = (s: string) => import(pathToFileURL(fromTrain.resolve(s)).href);
await selectBackend({ override: parseBackendName(args.backend, '--backend'), importer });
setSeed(0);

const cfg = (await readConfigTree(positionals[0]!)).value as {
  data: { batchSize: number };
  model: unknown;
  diffusion: unknown;
};
const modelCfg = ModelConfig.parse(cfg.model);
const model = buildModel(modelCfg, clip, makeProcess(DiffusionConfig.parse(cfg.diffusion)));
// class ids below numClasses where the model has a class input (x, t, y)
const classes = 'numClasses' in modelCfg && typeof modelCfg.numClasses === 'number' ? modelCfg.numClasses : 1;
const params = namedParams(model);
const opt = new AdamW(params, { lr: 1e-4, weightDecay: 0 });
const vars = params.map((p) => p.variable);
const b = cfg.data.batchSize;
let i = 0;
const step = async () => {
  const loss = tf.tidy(() => {
    const s = i++;
    const x = tf.randomNormal([b, ...clip], 0, 1, 'float32', normalSeed(s));
    const t = tf.randomUniform([b, 1], 0, 1000, 'int32', s + 1).toFloat();
    const inputs = [x, t];
    if (model.inputs.length > 2) inputs.push(tf.randomUniform([b, 1], 0, classes, 'int32', s + 2).toFloat());
    const { value, grads } = variableGrads(() => {
      const out = model.apply(inputs, { training: true }) as tf.Tensor;
      const noise = tf.randomNormal(out.shape, 0, 1, 'float32', normalSeed(s + 7));
      return tf.losses.meanSquaredError<tf.Tensor, tf.Scalar>(noise, out);
    }, vars);
    opt.apply(grads);
    return value;
  });
  await loss.data();
  loss.dispose();
};
await step(); // warm-up: first-call allocations and kernel lookups
const prof = await tf.profile(() => step());
printKernelProfile(prof, {
  config: positionals[0],
  backend: args.backend,
  clip,
  batch: b,
  loadavg1m: +os.loadavg()[0]!.toFixed(2),
});
