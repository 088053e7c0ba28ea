/**
 * Training and loading an attribute classifier run (the judge of sample quality, and the captioner): a small
 * ViViT with one softmax head per attribute, trained in vtx on real clips with the summed cross-entropy of its
 * heads. Its own short loop (AdamW, schedule, clipping, checkpoints of the trainer's format) rather than the
 * diffusion/classification trainer, because its targets are the `attributes` of a batch, not one label.
 *
 *   <run>/config.yaml   resolved config (the attribute vocabulary filled from the dataset index)
 *   <run>/metrics.jsonl train records (step, loss, acc/<name>) and eval records (val/acc/<name>, val/acc)
 *   <run>/checkpoints/  step-N/ with the weights (and the clip size in the manifest state)
 *   <run>/summary.json  final metrics
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { BACKENDS, setSeed } from '@vtx/core';
import { createLoader, DataConfig, type Batch, type DataLoader } from '@vtx/data';
import { AttributeClassifierConfig, attributeHeads, buildAttributeClassifier, ClipShape } from '@vtx/models';
import { z } from 'zod';
import {
  latestCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  loadConfigFile,
  validateConfig,
  writeResolvedConfig,
  assignParams,
  buildOptimizer,
  clipByGlobalNorm,
  makeSchedule,
  namedParams,
  OptimizerConfig,
  readParams,
  ScheduleConfig,
  clipsOf,
  startBackend,
} from '@vtx/train';
import type { Judge } from './judge.js';
import { writeFileAtomic } from '@vtx/runs';

const posInt = z.number().int().positive();

export const AttributeRunConfig = z.strictObject({
  /** Run name (the default run directory is runs/<name>). */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
  seed: z.number().int().nonnegative().default(0),
  backend: z.enum(BACKENDS).optional(),
  /** Real clips with an `attributes` column (e.g. the synthetic bouncing shapes, Moving MNIST digits). */
  data: DataConfig.prefault({}),
  model: AttributeClassifierConfig.prefault({ kind: 'attribute-classifier' }),
  optim: OptimizerConfig.prefault({ kind: 'adamw', lr: 1e-3, weightDecay: 0.01 }),
  schedule: ScheduleConfig.prefault({ warmupSteps: 20 }),
  steps: posInt.default(300),
  clipNorm: z.number().positive().default(1),
  logEvery: posInt.default(25),
  eval: z
    .strictObject({
      /** Fields replacing `data` for evaluation (e.g. another seed, or a held-out split). */
      data: z.record(z.string(), z.unknown()).default({}),
      batches: posInt.default(4),
    })
    .prefault({}),
});
export type AttributeRunConfig = z.infer<typeof AttributeRunConfig>;
export type AttributeRunConfigInput = z.input<typeof AttributeRunConfig>;

/** A loaded judge / captioner: the model (outputs [logits, features]), its config, clip size and heads. */
export interface AttributeClassifier extends Judge {
  kind: 'attribute';
  cfg: AttributeRunConfig;
}

/** Summed cross-entropy of the heads and per-head accuracies of one batch. */
function headLosses(
  model: tfl.LayersModel,
  cfg: AttributeClassifierConfig,
  batch: Batch,
  training: boolean,
): { loss: tf.Scalar; acc: Record<string, tf.Scalar> } {
  if (!batch.attributes)
    throw new Error('the dataset has no attributes column: an attribute classifier needs one');
  const [logits] = model.apply(clipsOf(tf, batch), { training }) as tf.Tensor[];
  const acc: Record<string, tf.Scalar> = {};
  const losses = attributeHeads(cfg).map(({ name, values, offset }) => {
    const y = batch.attributes![name];
    if (!y) throw new Error(`the batch has no attribute '${name}' (model.attributes names it)`);
    const bad = y.findIndex((v) => v < 0 || v >= values.length);
    if (bad >= 0) throw new Error(`clip '${batch.ids[bad]}': attribute '${name}' is missing or out of range`);
    const l = tf.slice(logits!, [0, offset], [-1, values.length]); // (B, K_a)
    const labels = tf.tensor1d(y, 'int32');
    acc[name] = tf.mean(tf.cast(tf.equal(tf.argMax(l, -1), labels), 'float32'));
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, values.length), l);
  });
  return { loss: tf.addN(losses) as tf.Scalar, acc };
}

async function evaluate(
  model: tfl.LayersModel,
  cfg: AttributeRunConfig,
  loader: DataLoader,
): Promise<Record<string, number>> {
  loader.restore({ ...loader.state(), epoch: 0, batch: 0 });
  const sums: Record<string, number> = {};
  for (let i = 0; i < cfg.eval.batches; i++) {
    const batch = await loader.next();
    const out = tf.tidy(() => headLosses(model, cfg.model, batch, false));
    for (const [k, v] of Object.entries(out.acc)) sums[k] = (sums[k] ?? 0) + (await v.data())[0]!;
    tf.dispose([out.loss, ...Object.values(out.acc)]);
  }
  const accs = Object.fromEntries(
    Object.entries(sums).map(([k, v]) => [`val/acc/${k}`, v / cfg.eval.batches]),
  );
  const mean = Object.values(accs).reduce((a, v) => a + v, 0) / Object.values(accs).length;
  return { ...accs, 'val/acc': mean };
}

/** Train an attribute classifier; resolves with its final metrics. `out` defaults to runs/<name>. */
export async function trainAttributeClassifier(
  input: AttributeRunConfigInput,
  opts: { out?: string; log?: (line: string) => void } = {},
): Promise<{ runDir: string; metrics: Record<string, number>; seconds: number; checkpoint: string }> {
  const started = performance.now();
  let cfg = validateConfig(input, AttributeRunConfig);
  const runDir = opts.out ?? join('runs', cfg.name);
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  await startBackend(cfg.backend);
  setSeed(cfg.seed);
  // values numbered by name, as the model's heads: the config's vocabulary, else the training data's; a value of
  // the training or evaluation data that the vocabulary lacks is an error naming its index.json
  const given = Object.keys(cfg.model.attributes).length > 0;
  const loader = await createLoader({ ...cfg.data, ...(given ? { attributes: cfg.model.attributes } : {}) });
  let evalLoader: Awaited<ReturnType<typeof createLoader>> | null = null;
  try {
    if (!given) {
      const vocab = loader.index.attributes;
      if (!vocab)
        throw new Error(`${loader.dir}: the dataset has no attribute vocabulary (index.attributes)`);
      cfg = { ...cfg, model: { ...cfg.model, attributes: vocab } };
    }
    evalLoader = await createLoader({
      ...cfg.data,
      shuffle: false,
      ...cfg.eval.data,
      attributes: cfg.model.attributes,
    });
    await fs.mkdir(runDir, { recursive: true });
    await writeResolvedConfig(join(runDir, 'config.yaml'), cfg);
    const start = loader.state();
    const clip = (await loader.next()).clipShape;
    loader.restore(start);
    const model = buildAttributeClassifier(cfg.model, clip);
    const params = namedParams(model);
    const optimizer = buildOptimizer(params, cfg.optim);
    const lr = makeSchedule(cfg.schedule, cfg.optim.lr, cfg.steps);
    const metricsPath = join(runDir, 'metrics.jsonl');
    const lines: string[] = [];
    const vars = params.map((p) => p.variable);
    for (let step = 0; step < cfg.steps; step++) {
      const batch = await loader.next();
      let acc: Record<string, tf.Scalar> = {};
      const { value, grads } = tf.variableGrads(() => {
        const out = headLosses(model, cfg.model, batch, true);
        acc = Object.fromEntries(Object.entries(out.acc).map(([k, v]) => [k, tf.keep(v)]));
        return out.loss;
      }, vars);
      const clipped = tf.tidy(() => clipByGlobalNorm(grads, cfg.clipNorm));
      optimizer.lr = lr(step);
      optimizer.apply(clipped.grads);
      tf.dispose([...Object.values(grads), ...Object.values(clipped.grads), clipped.norm]);
      if ((step + 1) % cfg.logEvery === 0 || step + 1 === cfg.steps) {
        const rec: Record<string, number> = { step: step + 1, loss: (await value.data())[0]! };
        for (const [k, v] of Object.entries(acc)) rec[`acc/${k}`] = (await v.data())[0]!;
        lines.push(JSON.stringify(rec));
        log(`${cfg.name} step ${step + 1}/${cfg.steps} loss ${rec['loss']!.toFixed(4)}`);
      }
      tf.dispose([value, ...Object.values(acc)]);
    }
    const metrics = await evaluate(model, cfg, evalLoader);
    lines.push(JSON.stringify({ step: cfg.steps, ...metrics }));
    await writeFileAtomic(metricsPath, `${lines.join('\n')}\n`);
    const checkpoint = await saveCheckpoint(join(runDir, 'checkpoints'), {
      step: cfg.steps,
      groups: { weights: await readParams(params) },
      metrics,
      state: { clip },
    });
    const seconds = (performance.now() - started) / 1000;
    await writeFileAtomic(
      join(runDir, 'summary.json'),
      `${JSON.stringify({ name: cfg.name, runDir, step: cfg.steps, metrics, seconds, checkpoint }, null, 2)}\n`,
    );
    log(
      `${cfg.name}: ${Object.entries(metrics)
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(', ')}`,
    );
    optimizer.dispose();
    return { runDir, metrics, seconds, checkpoint };
  } finally {
    await loader.close();
    await evalLoader?.close();
  }
}

/** Load a trained attribute classifier (judge or captioner) from its run directory. */
export async function loadAttributeClassifier(runDir: string): Promise<AttributeClassifier> {
  const cfg = await loadConfigFile(join(runDir, 'config.yaml'), AttributeRunConfig);
  const path = await latestCheckpoint(join(runDir, 'checkpoints'));
  if (!path) throw new Error(`${runDir}: no complete checkpoint (is this an attribute classifier run?)`);
  const ckpt = await loadCheckpoint(path, { groups: ['weights'] });
  const clip = ClipShape.parse((ckpt.state as { clip?: unknown } | null)?.clip);
  const model = buildAttributeClassifier(cfg.model, clip);
  assignParams(namedParams(model), ckpt.groups['weights']!);
  return {
    kind: 'attribute',
    cfg,
    model,
    clip,
    runDir,
    heads: attributeHeads(cfg.model),
    dispose: () => model.dispose(),
  };
}
