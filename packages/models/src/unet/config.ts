/**
 * U-Net configuration: ADM's U-Net (Dhariwal & Nichol 2021, openai/guided-diffusion `UNetModel`) and its video form
 * (Ho et al. 2022, Video Diffusion Models), with the presets at 32 and 64 px.
 */
import { z } from 'zod';
import type { Preset } from '../family.js';
import { FrameConditioning } from '../frames/config.js';
import { TextEncoderConfig } from '../text/text-encoder.js';
import { posInt, type ClipShape, type Tubelet } from '../types.js';
import { VIDEO_DIT_CONDITIONS } from '../video-dit/config.js';

export const UNetConfig = z.strictObject({
  kind: z.literal('unet'),
  /** Channels of the first level (ADM's `model_channels`); level i has channels · channelMult[i]. */
  channels: posInt.default(64),
  /** Channel multiplier per resolution level; each level after the first halves the height and width. */
  channelMult: z.array(posInt).min(1).default([1, 2, 2, 2]),
  /** Residual blocks per level on the way down (one more on the way up; ADM's `num_res_blocks`). */
  resBlocks: posInt.default(2),
  /**
   * The downsampling factors whose blocks have self-attention: 2 means the level at half the input resolution
   * (ADM's `attention_resolutions` are image size / factor, so 32,16,8 at 64 px is [2, 4, 8]).
   */
  attentionAt: z.array(posInt).default([2]),
  /** Channels per attention head (ADM's `num_head_channels`): heads = channels / headChannels. */
  headChannels: posInt.default(64),
  /** GroupNorm groups (ADM: 32); every level's channels must be divisible by it. */
  groups: posInt.default(32),
  /** Downsampling by a stride-2 3x3 convolution (ADM's `conv_resample`) or a 2x2 average pool. */
  resample: z.enum(['conv', 'pool']).default('conv'),
  /**
   * The video form (Video Diffusion Models, §3): a temporal self-attention over the frames at each position
   * after every spatial attention, with sin-cos frame positions; the convolutions stay per frame.
   */
  temporal: z.boolean().default(false),
  /** 'class': t + label embedding; 'caption': attention blocks cross-attend to the words; 'none': t only. */
  condition: z.enum(VIDEO_DIT_CONDITIONS).default('class'),
  numClasses: posInt.default(10),
  classDropProb: z.number().min(0).max(1).default(0.1),
  text: TextEncoderConfig.default(TextEncoderConfig.parse({})),
  /** Train with given (clean) frames for image-to-video, extension and connecting clips (`frames/config.ts`); off when absent. */
  frameConditioning: FrameConditioning.optional(),
});
export type UNetConfig = z.infer<typeof UNetConfig>;

/** The checked sizes the builder and the cost read: channels per level, the heads of each width, the step. */
export interface UNetDims {
  /** Channels of each level. */
  levels: number[];
  /** Time (and class) embedding width: 4 · channels (ADM's `time_embed_dim`). */
  emb: number;
  /** The [1, f, f] step a clip must be a multiple of: f = 2^(levels - 1). */
  step: Tubelet;
  heads: (channels: number) => number;
}

export function unetDims(cfg: UNetConfig): UNetDims {
  const levels = cfg.channelMult.map((m) => m * cfg.channels);
  const fail = (why: string): never => {
    throw new Error(`${unetName(cfg)}: ${why}`);
  };
  if (cfg.channels % cfg.groups)
    fail(`channels ${cfg.channels} are not divisible into ${cfg.groups} groups (GroupNorm)`);
  const f = 2 ** (levels.length - 1);
  for (const a of cfg.attentionAt)
    if (!Number.isInteger(Math.log2(a)) || a > f)
      fail(`attentionAt ${a} is not a downsampling factor of the levels (1, 2, … ${f})`);
  const heads = (c: number): number => {
    if (c % cfg.headChannels) fail(`${c} channels are not divisible into heads of ${cfg.headChannels}`);
    return c / cfg.headChannels;
  };
  return { levels, emb: 4 * cfg.channels, step: [1, f, f], heads };
}

/** Display name, e.g. `UNet-64x1-2-2-2` or `VideoUNet-32x1-2 (caption)`. */
export function unetName(cfg: UNetConfig): string {
  const base = `${cfg.temporal ? 'VideoUNet' : 'UNet'}-${cfg.channels}x${cfg.channelMult.join('-')}`;
  return cfg.condition === 'class' ? base : `${base} (${cfg.condition})`;
}

const unet = (model: Partial<UNetConfig>, clip: ClipShape): Preset => ({
  model: { kind: 'unet', ...model },
  clip,
});

/**
 * The presets: two small ones for MNIST-sized data and CPUs; the CIFAR-10 model of improved DDPM at 32 px
 * (openai/improved-diffusion: 128 channels, 1-2-2-2, 3 blocks, attention at 16 and 8 with 4 heads at 256
 * channels); ADM's class-conditional ImageNet model at 64 px (openai/guided-diffusion's flags: 192 channels,
 * 1-2-3-4, 3 blocks, attention at 32, 16 and 8 with 64-channel heads; its up/down-sampling residual blocks are
 * convolutions here); and a video U-Net at the bouncing shapes' size.
 */
export const UNET_PRESETS: Record<string, Preset> = {
  'UNet-tiny': unet(
    { channels: 32, channelMult: [1, 2], resBlocks: 1, attentionAt: [2], headChannels: 32, groups: 8 },
    [1, 32, 32, 1],
  ),
  'UNet-S': unet(
    { channels: 64, channelMult: [1, 2, 2], resBlocks: 2, attentionAt: [2, 4], headChannels: 32, groups: 16 },
    [1, 32, 32, 1],
  ),
  'ADM-32': unet(
    { channels: 128, channelMult: [1, 2, 2, 2], resBlocks: 3, attentionAt: [2, 4], headChannels: 64 },
    [1, 32, 32, 3],
  ),
  'ADM-64': unet(
    {
      channels: 192,
      channelMult: [1, 2, 3, 4],
      resBlocks: 3,
      attentionAt: [2, 4, 8],
      headChannels: 64,
      numClasses: 1000,
    },
    [1, 64, 64, 3],
  ),
  'VideoUNet-tiny': unet(
    {
      channels: 32,
      channelMult: [1, 2],
      resBlocks: 1,
      attentionAt: [2],
      headChannels: 32,
      groups: 8,
      temporal: true,
    },
    [8, 32, 32, 3],
  ),
};
