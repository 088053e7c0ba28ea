/**
 * ConvNet configuration: a small VGG-style image classifier (Simonyan & Zisserman 2015, stacks of 3x3 convolutions
 * between 2x downsamplings) with GroupNorm (Wu & He 2018) and global average pooling (Lin et al. 2014), the kind of
 * network that reads MNIST digits at >= 99% in a few epochs; on a clip it reads every frame alone and pools the
 * frames' features together (a per-frame reading, averaged over time).
 */
import { z } from 'zod';
import { posInt, type Tubelet } from '../types.js';

export const ConvNetConfig = z.strictObject({
  kind: z.literal('convnet'),
  /** Channels of each stage; every stage after the first starts by halving the height and width (2x2 average). */
  channels: z.array(posInt).min(1).default([32, 64, 128]),
  /** 3x3 convolutions (each conv -> GroupNorm -> SiLU) per stage. */
  blocks: posInt.default(2),
  /** GroupNorm groups; every stage's channels must be divisible by it. */
  groups: posInt.default(8),
  numClasses: posInt.default(10),
});
export type ConvNetConfig = z.infer<typeof ConvNetConfig>;

/** Display name, e.g. `ConvNet-32-64-128x2`. */
export function convnetName(cfg: ConvNetConfig): string {
  return `ConvNet-${cfg.channels.join('-')}x${cfg.blocks}`;
}

/** The [1, f, f] step a clip's size must be a multiple of: f = 2^(stages - 1); checks the groups divide the channels. */
export function convnetStep(cfg: ConvNetConfig): Tubelet {
  const odd = cfg.channels.find((c) => c % cfg.groups !== 0);
  if (odd !== undefined)
    throw new Error(`${convnetName(cfg)}: ${odd} channels are not divisible into ${cfg.groups} groups`);
  const f = 2 ** (cfg.channels.length - 1);
  return [1, f, f];
}
