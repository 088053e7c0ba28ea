/**
 * U-ViT's 3x3 convolution after the unpatchify (Bao et al. 2023, 'All are Worth Words: A ViT Backbone for Diffusion
 * Models', §3.1 "the way to predict noise", Fig. 2; baofff/U-ViT libs/uvit.py `final_layer = nn.Conv2d(in_chans,
 * in_chans, 3, padding=1)`). The final linear writes every patch from its own token alone, so the edges of
 * neighbouring patches agree only as far as attention made their tokens agree; a 3x3 convolution over the output
 * frame lets each output pixel read its neighbours across patch edges. Of the placements U-ViT compares (a 3x3 conv
 * after the token-to-patch linear, one before it, none) the one after it gave the best FID.
 *   x (B, T, H, W, C') -> conv 3x3 per frame, C' -> C' (same padding) -> (B, T, H, W, C')
 * The kernel is Xavier-initialised with a zero bias; the final layer before it starts at zero (adaLN-Zero), so
 * the model's output starts at zero with or without it.
 */
import { Conv2D, sym, type Sym } from '@vtx/core';
import { add, convCost, type Cost } from '../costs/count.js';

/** The output pixels x (…, H, W, C), through the 3x3 convolution named `final_conv` when `on`. */
export function finalConv(x: Sym, channels: number, on: boolean): Sym {
  return on ? sym(new Conv2D({ filters: channels, kernelSize: 3, name: 'final_conv' }), x) : x;
}

/** Its count over the output's `pixels` positions of `channels` channels (none when off). */
export function finalConvCost(pixels: number, channels: number, on: boolean): Cost {
  return on ? convCost(pixels, 3, channels, channels) : add();
}
