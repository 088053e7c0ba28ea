/**
 * ConvNet — a VGG-style classifier (Simonyan & Zisserman 2015) with GroupNorm and global average pooling.
 *   x (B, T, H, W, C)
 *   stage s = 0..S-1:  [s > 0: 2x2 average pool]  then `blocks` x (conv3x3 -> GroupNorm -> SiLU), per frame
 *   mean over (T, H', W') -> LayerNorm -> Linear -> logits (B, classes)
 * Every convolution reads one frame (leading axes fold into the batch), so a clip's logits come from its frames'
 * features averaged over time. The features the head reads (pooled, normalised) are a judge's Fréchet space.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { AvgPool2x, Conv2D, GroupNorm, LayerNorm, Linear, PoolTokens, SiLU, sym } from '@vtx/core';
import { gridOf, type ClipShape } from '../types.js';
import { convnetName, convnetStep, type ConvNetConfig } from './config.js';

export function buildConvNet(cfg: ConvNetConfig, clip: ClipShape): tfl.LayersModel {
  gridOf(clip, convnetStep(cfg), convnetName(cfg));
  const [t, , , c] = clip;
  const video = tfl.input({ shape: [t, null, null, c], name: 'x' }); // (B, T, H, W, C)
  let x = video;
  cfg.channels.forEach((width, s) => {
    if (s > 0) x = sym(new AvgPool2x({ name: `stages.${s}.pool` }), x); // (B, T, H/2, W/2, ·)
    for (let b = 0; b < cfg.blocks; b++) {
      const name = `stages.${s}.${b}`;
      x = sym(new Conv2D({ filters: width, kernelSize: 3, name: `${name}.conv` }), x); // (B, T, H', W', width)
      x = sym(new GroupNorm({ groups: cfg.groups, perFrame: true, name: `${name}.norm` }), x);
      x = sym(new SiLU({ name: `${name}.act` }), x);
    }
  });
  x = sym(new PoolTokens({ mode: 'mean', name: 'pool' }), x); // (B, D): mean over frames and positions
  x = sym(new LayerNorm({ epsilon: 1e-6, name: 'norm' }), x); // (B, D)
  const logits = sym(new Linear({ units: cfg.numClasses, init: 'normal02', name: 'head' }), x); // (B, classes)
  return tfl.model({ inputs: video, outputs: logits, name: convnetName(cfg) });
}
