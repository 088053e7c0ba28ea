/**
 * REPA — representation alignment (Yu et al. 2024, 'Representation Alignment for Generation: Training Diffusion
 * Transformers Is Easier Than You Think', §3.2 eq. 8; sihyun-yu/REPA models/sit.py `projectors`, loss.py): a diffusion
 * transformer's hidden tokens after block k, through a small MLP h_φ, are pulled towards the token features y* of a
 * frozen encoder run on the clean input:
 *   L = L_diffusion + λ · (−1/N Σ_n cos(h_φ(h_n), y*_n))
 * The encoder is a vtx run directory (a ViT, ViViT or attribute classifier trained here: no downloaded weights),
 * loaded read-only (its newest checkpoint, the EMA weights where it has them); its token features are the output of
 * its final norm (`norm`) with the class token dropped. The projector h_φ is REPA's: Linear(D, P), SiLU, Linear(P, P),
 * SiLU, Linear(P, D_enc), named `repa.projector.{0,2,4}`; its weights are trained and checkpointed with the model's,
 * and are not part of the model that samples (`withoutRepa` drops them when a run is loaded for inference).
 *
 * Grids: the encoder runs on the diffusion model's clean clips, so its clip must be the training data's (T, H, W, C);
 * its token grid (T_e, H_e, W_e) must equal the model's (T', H', W') or be an integer multiple of it along each
 * axis, whose blocks of tokens are averaged; anything else is refused naming `train.repa.encoder`.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '@vtx/config';
import { Linear, SiLU, sym, type Sym } from '@vtx/core';
import {
  gridOf,
  modelPatch,
  modelTask,
  tokenMaskingOf,
  type ClipShape,
  type DenoiseFn,
  type ModelConfig,
} from '@vtx/models';
import { loadRun } from '../load-run.js';
import { REPA_PREFIX as PREFIX, type RepaSection } from './repa-config.js';

const issue = (message: string) =>
  new ConfigError([{ file: '<config>', path: 'train.repa.encoder', message }]);

export class Repa {
  private constructor(
    /** The diffusion model with a second output: the projected hidden tokens (B, T', H', W', D_enc). */
    readonly training: tfl.LayersModel,
    /** The frozen encoder's features of clean clips: (B, T, H, W, C) -> (B, S, D_enc). */
    private readonly encoder: tfl.LayersModel,
    /** Class tokens before the encoder's grid tokens (0 or 1). */
    private readonly prefix: number,
    /** The encoder's grid over the model's, per axis (an integer >= 1). */
    private readonly pool: [number, number, number],
    private readonly encoderGrid: [number, number, number],
    readonly weight: number,
  ) {}

  /** Load the encoder of `cfg` for `model` (built from `modelCfg` for clips of `clip`) and build the projector. */
  static async create(
    cfg: RepaSection,
    model: tfl.LayersModel,
    modelCfg: ModelConfig,
    clip: ClipShape,
  ): Promise<Repa> {
    if (tokenMaskingOf(modelCfg))
      throw new ConfigError([
        {
          file: '<config>',
          path: 'train.repa',
          message:
            'REPA with model.maskRatio is not built: the hidden tokens of a masked step are the kept ones only',
        },
      ]);
    const hidden = hiddenTokens(model, cfg); // the model's side first: no encoder is loaded for a config that cannot use it
    let run;
    try {
      run = await loadRun(cfg.encoder);
    } catch (e) {
      throw issue(`${cfg.encoder}: cannot load the encoder run (${(e as Error).message})`);
    }
    const task = modelTask(run.cfg.model);
    if (task !== 'classify' && task !== 'attributes')
      throw issue(
        `${cfg.encoder} is a ${run.cfg.model.kind} run; the encoder must be a classifier (ViT, ViViT)`,
      );
    if (run.clip.join(',') !== clip.join(','))
      throw issue(
        `${cfg.encoder} was built for clips ${run.clip.join('x')}, the data here is ${clip.join('x')}: the encoder runs on the model's clean clips`,
      );
    let norm: tfl.layers.Layer;
    try {
      norm = run.model.getLayer('norm');
    } catch {
      throw issue(
        `${cfg.encoder}: the ${run.cfg.model.kind} model has no final 'norm' layer to read tokens from`,
      );
    }
    const encoder = tfl.model({
      inputs: run.model.inputs,
      outputs: norm.output,
      name: 'repa_encoder',
    });
    // frozen: its variables are not trainable, so no gradient is computed for them (tf.variableGrads skips them)
    encoder.trainable = false;
    for (const w of encoder.weights) (w.read() as tf.Variable).trainable = false;
    const encoderGrid = gridOf(clip, modelPatch(run.cfg.model)!.patch);
    const grid = gridOf(clip, modelPatch(modelCfg)!.patch);
    const [s, dEnc] = tf.tidy(() => encoder.predict(tf.zeros([1, ...clip])) as tf.Tensor).shape.slice(1) as [
      number,
      number,
    ];
    const prefix = s - encoderGrid[0] * encoderGrid[1] * encoderGrid[2];
    if (prefix !== 0 && prefix !== 1)
      throw issue(
        `${cfg.encoder}: its final norm holds ${s} tokens, not its ${encoderGrid.join('x')} patch grid (a factorised encoder pools frames first)`,
      );
    const pool = encoderGrid.map((e, i) => e / grid[i]!) as [number, number, number];
    if (!pool.every((p) => Number.isInteger(p) && p >= 1))
      throw issue(
        `${cfg.encoder}: its token grid ${encoderGrid.join('x')} is not the model's ${grid.join('x')} nor an integer multiple of it`,
      );
    const training = withProjector(model, hidden, cfg, dEnc);
    return new Repa(training, encoder, prefix, pool, encoderGrid, cfg.weight);
  }

  /** The encoder's features of clean clips x0 on the model's grid: (B, N, D_enc), no gradient. */
  target(x0: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const b = x0.shape[0];
      const f = this.encoder.predict(x0) as tf.Tensor; // (B, prefix + N_e, D_enc)
      const d = f.shape[2]!;
      const [te, he, we] = this.encoderGrid;
      const [pt, ph, pw] = this.pool;
      const tokens = f.slice([0, this.prefix, 0], [b, te * he * we, d]);
      if (pt * ph * pw === 1) return tokens;
      // average each pt x ph x pw block of encoder tokens onto the model's token
      const blocks = tokens.reshape([b, te / pt, pt, he / ph, ph, we / pw, pw, d]);
      return tf.mean(blocks, [2, 4, 6]).reshape([b, -1, d]);
    });
  }

  /** Per-sample −mean cosine similarity (B,) of projected tokens (B, T', H', W', D_enc) and `target` (B, N, D_enc). */
  static negCosine(projected: tf.Tensor, target: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => {
      const p = projected.reshape(target.shape);
      const unit = (x: tf.Tensor) => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', -1, true), 1e-8));
      return tf.neg(tf.mean(tf.sum(tf.mul(unit(p), unit(target)), -1), -1)) as tf.Tensor1D;
    });
  }

  /** The training model as a denoiser that hands each call's projected tokens to `stash` and returns the output. */
  denoiser(stash: (projected: tf.Tensor) => void): DenoiseFn<tf.Tensor[]> {
    return (x, t, extra) => {
      const inputs = [x, t.reshape([-1, 1]).toFloat(), ...(extra ?? [])];
      const [out, projected] = this.training.apply(inputs, { training: true }) as tf.Tensor[];
      stash(projected!);
      return out!;
    };
  }

  dispose(): void {
    this.encoder.dispose();
  }
}

/** The model's hidden tokens after block `cfg.depth` (B, T', H', W', D), or a ConfigError naming what does not fit. */
function hiddenTokens(model: tfl.LayersModel, cfg: RepaSection): Sym {
  const block = `blocks.${cfg.depth - 1}.`;
  const last = model.layers.filter((l) => l.name.startsWith(block)).at(-1);
  if (!last)
    throw new ConfigError([
      {
        file: '<config>',
        path: 'train.repa.depth',
        message: `${cfg.depth}: the model has no block ${cfg.depth}`,
      },
    ]);
  const hidden = last.output as Sym; // (B, T', H', W', D)
  if (hidden.shape.length !== 5)
    throw new ConfigError([
      {
        file: '<config>',
        path: 'train.repa',
        message: `the hidden tokens after block ${cfg.depth} are not a token grid (DiT's in-context conditioning adds tokens)`,
      },
    ]);
  return hidden;
}

/** The model with REPA's projector on its hidden tokens after block `cfg.depth` as a second output. */
function withProjector(model: tfl.LayersModel, hidden: Sym, cfg: RepaSection, dEnc: number): tfl.LayersModel {
  const width = hidden.shape[4]!;
  const p = cfg.projectorWidth ?? 4 * width;
  let h = sym(new Linear({ units: p, name: `${PREFIX}projector.0` }), hidden);
  h = sym(new SiLU({ name: `${PREFIX}projector.1` }), h);
  h = sym(new Linear({ units: p, name: `${PREFIX}projector.2` }), h);
  h = sym(new SiLU({ name: `${PREFIX}projector.3` }), h);
  const projected = sym(new Linear({ units: dEnc, name: `${PREFIX}projector.4` }), h); // (B, T', H', W', D_enc)
  return tfl.model({ inputs: model.inputs, outputs: [model.outputs[0]!, projected], name: 'repa_training' });
}
