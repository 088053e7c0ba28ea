/**
 * ViViT from an image-pretrained ViT (Arnab et al. 2021, §3.4 "Initialisation"): every transformer weight is
 * copied by name, the position embedding is repeated over time, and the tubelet embedding is initialised from the
 * ViT's patch embedding by filter inflation, the central frame, or left random (Table 1). For model 2 the ViT
 * initialises the spatial encoder (`spatial.*`) and the temporal encoder keeps its random init (Scenic does the same).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { LearnedPosEmbed, PatchEmbed, type TubeletInit } from '@vtx/core';

export interface ViViTInitReport {
  /** vtx weight names copied from the ViT unchanged. */
  copied: string[];
  /** Weights adapted (tubelet kernel, position tables). */
  adapted: string[];
  /** ViViT weights left at their random init. */
  random: string[];
}

function layerOf<T extends tfl.layers.Layer>(
  model: tfl.LayersModel,
  name: string,
  cls: abstract new (...a: never[]) => T,
): T | null {
  const l = model.layers.find((x) => x.name === name);
  return l instanceof cls ? l : null;
}

/**
 * Initialise `vivit` (built from a ViViTConfig) from `vit` (a ViT with the same width, heads and depth ≥ the
 * ViViT's). `mode` chooses the tubelet initialisation; `head` copies the classifier too when the class counts match.
 */
export function initViViTFromViT(
  vivit: tfl.LayersModel,
  vit: tfl.LayersModel,
  mode: TubeletInit,
  opts: { head?: boolean } = {},
): ViViTInitReport {
  const report: ViViTInitReport = { copied: [], adapted: [], random: [] };
  const factorisedEncoder = vivit.layers.some((l) => l.name.startsWith('spatial.'));
  const vitWeights = new Map(vit.weights.map((w) => [w.originalName, w]));
  // model 2's spatial encoder is the ViT; model 3's spatial MSA is the ViT's MSA (its temporal MSA stays zero-init)
  const fromVit = (name: string) =>
    (factorisedEncoder ? name.replace(/^spatial\./, '') : name)
      .replace('.attn_space/', '.attn/')
      .replace('.norm_space/', '.norm1/');

  // tubelet embedding from the 2-D patch embedding
  const tubelet = layerOf(vivit, 'patch_embed.proj', PatchEmbed);
  const patch = layerOf(vit, 'patch_embed.proj', PatchEmbed);
  if (!tubelet || !patch) throw new Error('initViViTFromViT: both models need a patch_embed.proj layer');
  if (tubelet.patch[1] !== patch.patch[1] || tubelet.patch[2] !== patch.patch[2]) {
    throw new Error(
      `initViViTFromViT: tubelet ${tubelet.patch.join('x')} and ViT patch ${patch.patch.join('x')} differ in space`,
    );
  }
  tubelet.initFromImage(patch.kernel.read(), patch.bias.read(), mode);
  report.adapted.push(tubelet.kernel.originalName, tubelet.bias.originalName);

  // position tables: the ViT's spatial table, repeated over the ViViT's frames (+ the class position)
  const vitPos = layerOf(vit, 'pos_embed', LearnedPosEmbed);
  const posName = factorisedEncoder ? 'spatial.pos_embed' : 'pos_embed';
  const pos = layerOf(vivit, posName, LearnedPosEmbed);
  if (vitPos && pos) {
    const [t, h, w] = pos.grid;
    tf.tidy(() => {
      const spatial = vitPos.gridTable([1, h, w]); // (H'·W', D), resized if the grids differ
      const grid = tf.tile(spatial, [t, 1]); // (T'·H'·W', D)
      const prefix = pos.prefix
        ? vitPos.posEmbed.read().slice([0, 0], [Math.min(pos.prefix, vitPos.prefix), -1])
        : null;
      pos.posEmbed.write(prefix && vitPos.prefix ? tf.concat([prefix, grid], 0) : grid);
    });
    report.adapted.push(pos.posEmbed.originalName);
  }

  const done = new Set([...report.adapted]);
  for (const w of vivit.weights) {
    if (done.has(w.originalName)) continue;
    if (!opts.head && w.originalName.startsWith('head/')) {
      report.random.push(w.originalName);
      continue;
    }
    const src = vitWeights.get(fromVit(w.originalName));
    if (src && src.shape.every((d, i) => d === w.shape[i]) && src.shape.length === w.shape.length) {
      w.write(src.read().clone());
      report.copied.push(w.originalName);
    } else {
      report.random.push(w.originalName);
    }
  }
  return report;
}
