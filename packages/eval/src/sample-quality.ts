/**
 * Sample quality of a diffusion run with a judge (./judge.ts) — the one implementation behind `vtx judge score`
 * (./score-run.ts) and evaluation with `eval.judge` (Trainer.evaluate, so in-training evaluations and `vtx eval`):
 *   generateSamples  sample clips with the run's sampler settings (latents decoded through the run's VAE), in [-1, 1]
 *   requestsOf       what each sample was asked for, in the judge's terms
 *   scoreSamples     the judge's accuracy on those requests and the Fréchet distance to real reference clips
 *   sampleMetrics    the names evaluation reports: sample/frechet (with sample/frechet-floor, real vs real at the
 *                    same count, and sample/frechet-ratio: ./frechet-floor.ts), sample/acc/<attribute>,
 *                    sample/acc/mean, sample/class-acc; beside them, by the dataset's kind, a closed-form reader's (./closed-form.ts:
 *                    sample/one-subject and sample/direction-acc on bouncing shapes, sample/permanence,
 *                    sample/consistency and sample/occluded on occlusion clips)
 *   SampleQuality    the evaluator: real reference features computed once, the judge loaded per scoring
 *   checkJudgeConfig eval.judge checked before a run starts (a ConfigError naming eval.judge.run and the path)
 *   sampleScoring    the two above as the trainer's SampleScoring (train(cfg, { samples: sampleScoring }))
 * What a sample is asked for: a class-conditional sample, its class (a classification judge reads it directly; an
 * attribute judge through the attribute whose vocabulary is the dataset's class names, e.g. `direction` for the
 * bouncing shapes); a caption-conditional sample, the attributes (or class) of the reference row whose caption
 * prompted it. Unconditional runs get the Fréchet distance only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mix32 } from '@vtx/core';
import type { DataConfigInput } from '@vtx/data';
import {
  conditionOf,
  modelTask,
  sampleClips,
  type ClipShape,
  type Condition,
  type GuidanceInterval,
} from '@vtx/models';
import {
  decodeLatents,
  evalDataInput,
  latentSourceOf,
  type EvalJudgeSection,
  type ExperimentConfig,
  type Generator,
  type SampleScorer,
  type SampleScoring,
} from '@vtx/train';
import { ConfigError } from '@vtx/config';
import { CLOSED_FORM_KINDS, closedFormMetrics, hasClosedForm } from './closed-form.js';
import { frechetFloor, frechetRatio } from './frechet-floor.js';
import {
  CLASS_HEAD,
  attributeAccuracy,
  inspectJudge,
  judgeClips,
  judgeFrechet,
  loadJudge,
  realFeatures,
  referenceRows,
  type Judge,
  type JudgeOutput,
  type ReferenceRows,
  type ReferenceSet,
} from './judge.js';

export interface GenerateOptions {
  count: number;
  /** Class per sample (cycled); default 0, 1, 2, … */
  classes?: readonly number[];
  /** Caption per sample (cycled). */
  captions?: readonly string[];
  seed: number;
  /** Respacing, e.g. 'ddim25'; default the run's diffusion.samplingSteps. */
  steps?: string;
  cfgScale?: number;
  /** Guide only at noise levels t / T in [lo, hi]; default the run's diffusion.guidanceInterval. */
  guidanceInterval?: GuidanceInterval;
  /** Sample at this clip (the model's input; latent size for latent runs); default the run's. */
  clip?: ClipShape;
  /** Samples per sampler call. Default 32. Chunk k > 0 is seeded mix32(seed, k). */
  batch?: number;
}

const cycle = <T>(xs: readonly T[], n: number): T[] =>
  Array.from({ length: n }, (_, i) => xs[i % xs.length]!);

/** Samples (N, T, H, W, C) as pixels in [-1, 1]: decoded through the VAE a latent run's dataset names. */
export async function generateSamples(gen: Generator, opts: GenerateOptions): Promise<tf.Tensor> {
  const n = opts.count;
  const batch = opts.batch ?? 32;
  const classes = opts.classes?.length ? cycle(opts.classes, n) : [];
  const captions = opts.captions?.length ? cycle(opts.captions, n) : [];
  const source = await latentSourceOf(gen.cfg);
  const parts: tf.Tensor[] = [];
  try {
    for (let s = 0, k = 0; s < n; s += batch, k++) {
      const m = Math.min(batch, n - s);
      const x = await sampleClips(gen.model, gen.process, gen.condition, {
        count: m,
        clip: opts.clip ?? gen.clip,
        classes: classes.slice(s, s + m),
        captions: captions.slice(s, s + m),
        seed: k === 0 ? opts.seed : mix32(opts.seed, k),
        ...(opts.steps ? { steps: opts.steps } : {}),
        ...(opts.cfgScale !== undefined ? { cfgScale: opts.cfgScale } : {}),
        ...(opts.guidanceInterval ? { guidanceInterval: opts.guidanceInterval } : {}),
      });
      parts.push(source ? await decodeLatents(source, x) : tf.clipByValue(x, -1, 1));
      x.dispose();
    }
    return parts.length === 1 ? parts[0]! : tf.concat(parts);
  } finally {
    if (parts.length > 1) tf.dispose(parts);
  }
}

/** What the samples were asked for (one row per sample) and which judge heads to score. */
export interface SampleRequests {
  wanted: Record<string, string>[];
  heads: string[];
}

/**
 * What sample i was asked for, in the judge's terms: `classes[i]` for a class-conditional run, the attributes
 * (or class) of reference row i for a caption-conditional one.
 */
export function requestsOf(
  judge: Pick<Judge, 'kind' | 'heads'>,
  condition: Condition | null,
  classes: readonly number[],
  ref: Pick<ReferenceSet, 'attributes' | 'labels' | 'labelNames'>,
): SampleRequests {
  const none: SampleRequests = { wanted: [], heads: [] };
  if (!condition || condition.kind === 'none') return none;
  if (judge.kind === 'class') {
    const k = judge.heads[0]!.values.length;
    const want = condition.kind === 'class' ? classes : ref.labels;
    if (!want.some((c) => c >= 0 && c < k)) return none;
    return {
      wanted: want.map((c): Record<string, string> => (c >= 0 && c < k ? { [CLASS_HEAD]: String(c) } : {})),
      heads: [CLASS_HEAD],
    };
  }
  if (condition.kind === 'caption') return { wanted: ref.attributes, heads: judge.heads.map((h) => h.name) };
  // class-conditional, attribute judge: the attribute whose values are the class names (by name, in any order)
  const names = ref.labelNames;
  const head = names && judge.heads.find((h) => sameSet(h.values, names));
  if (!names || !head) return none;
  return { wanted: classes.map((c) => ({ [head.name]: names[c] ?? '' })), heads: [head.name] };
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((v) => b.includes(v));

export interface SampleScore {
  /** Per judged head and `mean` (empty when nothing was asked for). */
  accuracy: Record<string, number>;
  /** Fréchet distance of the samples' judge features to the reference's. */
  frechet: number;
  /** The judge's reading of the samples. */
  judged: JudgeOutput;
}

/** Judge samples (N, T, H, W, C) in [-1, 1] against what they were asked for and the real reference. */
export async function scoreSamples(
  judge: Pick<Judge, 'model' | 'clip' | 'heads'>,
  x: tf.Tensor,
  requests: SampleRequests,
  ref: JudgeOutput,
): Promise<SampleScore> {
  const judged = await judgeClips(judge, x);
  return {
    accuracy: requests.heads.length
      ? attributeAccuracy(judged.predictions, requests.wanted, requests.heads)
      : {},
    frechet: judgeFrechet(judged, ref),
    judged,
  };
}

/**
 * A score as evaluation metrics: sample/frechet, and with a floor (./frechet-floor.ts) sample/frechet-floor and
 * sample/frechet-ratio; sample/acc/<head> + sample/acc/mean, or sample/class-acc.
 */
export function sampleMetrics(
  kind: Judge['kind'],
  score: Pick<SampleScore, 'accuracy' | 'frechet'>,
  floor: number | null = null,
): Record<string, number> {
  const out: Record<string, number> = { 'sample/frechet': score.frechet };
  const ratio = frechetRatio(score.frechet, floor);
  if (floor !== null) out['sample/frechet-floor'] = floor;
  if (ratio !== null) out['sample/frechet-ratio'] = ratio;
  if (kind === 'class') {
    const acc = score.accuracy[CLASS_HEAD];
    if (acc !== undefined) out['sample/class-acc'] = acc;
  } else {
    for (const [k, v] of Object.entries(score.accuracy)) out[`sample/acc/${k}`] = v;
  }
  return out;
}

/**
 * The evaluator behind `eval.judge`: at each scoring, N samples (classes cycled, or the captions of the first N
 * evaluation rows) from the evaluation weights, judged against the same N real evaluation clips (their features, and
 * the Fréchet floor against the next N rows, are computed once and kept on the host). The judge is loaded for each scoring and freed after it, so no tensors stay
 * allocated between evaluations.
 */
export class SampleQuality implements SampleScorer {
  private ref: ReferenceSet | null = null;
  /** The Fréchet floor of `ref` (null: the data has fewer than 2N rows); undefined until computed. */
  private floor: number | null | undefined;
  private rows: ReferenceRows | null = null;

  constructor(
    readonly settings: EvalJudgeSection,
    /** The evaluation data (unshuffled). */
    private readonly data: DataConfigInput,
    /** Sampling seed: the same noise at every scoring, so scores of one run compare. */
    private readonly seed: number,
  ) {}

  /** Whether an evaluation after `step` updates scores samples (`every`, and always at the end). */
  due(step: number, final: boolean): boolean {
    const every = this.settings.every;
    return every === undefined || final || step % every === 0;
  }

  async score(gen: Generator): Promise<Record<string, number>> {
    if (this.settings.run === undefined) return this.scoreClosedForm(gen);
    const judge = await loadJudge(this.settings.run);
    try {
      this.ref ??= await realFeatures(judge, this.data, this.settings.samples);
      const ref = this.ref;
      if (ref.n < 2)
        throw new Error(`eval.judge: the evaluation data has ${ref.n} clips; the Fréchet distance needs 2`);
      if (this.floor === undefined) this.floor = (await frechetFloor(judge, this.data, ref))?.floor ?? null;
      const cond = gen.condition;
      const { x, classes } = await this.generate(gen, ref);
      try {
        const score = await scoreSamples(judge, x, requestsOf(judge, cond, classes, ref), ref);
        return {
          ...sampleMetrics(judge.kind, score, this.floor),
          ...(await closedFormMetrics(x, cond, classes, ref)),
        };
      } finally {
        x.dispose();
      }
    } finally {
      judge.dispose();
    }
  }

  /** One sample per reference row: classes cycled (class-conditional), or the rows' captions; the same seed each time. */
  private async generate(
    gen: Generator,
    rows: Pick<ReferenceRows, 'n' | 'captions'>,
  ): Promise<{ x: tf.Tensor; classes: number[] }> {
    const cond = gen.condition;
    const classes = cond.kind === 'class' ? cycle([...Array(cond.numClasses).keys()], rows.n) : [];
    const x = await generateSamples(gen, {
      count: rows.n,
      classes,
      captions: cond.kind === 'caption' ? rows.captions : [],
      seed: this.seed,
      ...(this.settings.steps ? { steps: this.settings.steps } : {}),
    });
    return { x, classes };
  }

  /** Without a judge run: the closed-form reader's metrics for the evaluation data's kind (./closed-form.ts). */
  private async scoreClosedForm(gen: Generator): Promise<Record<string, number>> {
    const rows = (this.rows ??= await referenceRows(this.data, this.settings.samples));
    if (!hasClosedForm(rows))
      throw new Error(
        `eval.judge has no run, and the evaluation data (kind ${rows.kind ?? 'unknown'}) has no closed-form reader: ` +
          `nothing to score it with (set eval.judge.run to a judge run)`,
      );
    const { x, classes } = await this.generate(gen, rows);
    try {
      return await closedFormMetrics(x, gen.condition, classes, rows);
    } finally {
      x.dispose();
    }
  }
}

/**
 * Check `eval.judge` before a run starts: a diffusion run, a judge run that exists with a checkpoint, and a
 * classification judge reading as many classes as a class-conditional model has. Throws a ConfigError naming the
 * key and the path; `file` labels where the setting came from.
 */
export async function checkJudgeConfig(cfg: ExperimentConfig, file = '<config>'): Promise<void> {
  const judge = cfg.eval.judge;
  if (!judge) return;
  const fail = (path: string, message: string) => new ConfigError([{ file, path, message }]);
  if (modelTask(cfg.model) !== 'diffuse')
    throw fail('eval.judge', `only diffusion runs score samples (model.kind is '${cfg.model.kind}')`);
  if (judge.run === undefined) {
    const dataset = evalDataInput(cfg).dataset;
    const kind = typeof dataset === 'object' ? dataset.kind : undefined;
    if (kind !== undefined && !(CLOSED_FORM_KINDS as readonly string[]).includes(kind))
      throw fail(
        'eval.judge.run',
        `required for '${kind}' data: without a judge run only data with a closed-form reader (kind ` +
          `${CLOSED_FORM_KINDS.join(', ')}) can be scored`,
      );
    return;
  }
  let info;
  try {
    info = await inspectJudge(judge.run);
  } catch (e) {
    throw fail('eval.judge.run', `'${judge.run}' is not a judge run: ${(e as Error).message}`);
  }
  const cond = conditionOf(cfg.model);
  const numClasses = cond.kind === 'class' ? cond.numClasses : null;
  if (info.kind === 'class' && numClasses !== null && info.numClasses !== numClasses)
    throw fail(
      'eval.judge.run',
      `'${judge.run}' classifies ${info.numClasses} classes but model.numClasses is ${numClasses}: a ` +
        'classification judge must read the classes the model is conditioned on',
    );
}

/** What train() and Trainer.create take to score samples with `eval.judge`: SampleQuality and checkJudgeConfig. */
export const sampleScoring: SampleScoring = {
  check: checkJudgeConfig,
  scorer: (settings, data, seed) => new SampleQuality(settings, data, seed),
};
