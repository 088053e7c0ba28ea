/**
 * @vtx/models — the zoo (ViT, ViViT, DiT, video DiT, video VAE, U-Net, ConvNet) as a table of model families, the caption text
 * encoder, the cost counter and the registry. Browser-safe: no Node modules.
 */
export * from './types.js';
export * from './family.js';
export * from './vit/config.js';
export * from './vit/vit.js';
export * from './vit/cost.js';
export * from './vit/family.js';
export * from './vivit/config.js';
export * from './vivit/vivit.js';
export * from './vivit/cost.js';
export * from './vivit/family.js';
export * from './dit/config.js';
export * from './dit/dit.js';
export * from './dit/cost.js';
export * from './dit/family.js';
export * from './video-dit/config.js';
export * from './video-dit/video-dit.js';
export * from './video-dit/cost.js';
export * from './video-dit/family.js';
export * from './vae/index.js';
export * from './unet/config.js';
export * from './unet/layout.js';
export * from './unet/unet.js';
export * from './unet/cost.js';
export * from './unet/family.js';
export * from './captioner/index.js';
export * from './convnet/config.js';
export * from './convnet/convnet.js';
export * from './convnet/cost.js';
export * from './convnet/family.js';
export * from './text/tokenizer.js';
export * from './text/text-encoder.js';
export * from './blocks/encoder-block.js';
export type { Context, CostSpec, DiTBlockSpec } from './blocks/dit-branches.js';
export * from './blocks/dit-block.js';
export * from './blocks/dit-ablation-blocks.js';
export * from './blocks/token-mask.js';
export * from './costs/model-cost.js';
/** The cost counter's closed-form parts (`count.linear`, `count.selfAttention`, …), for a family's `cost`. */
export * as count from './costs/count.js';
export type { Cost } from './costs/count.js';
export * from './registry.js';
export * from './diffusion/index.js';
export * from './interop/pytorch.js';
export * from './vivit/init-from-vit.js';
export * from './sampling/index.js';
export * from './frames/index.js';
