/**
 * The convolution shapes measured side by side with PyTorch (bench/peer/convs.json, the file
 * bench/peer/conv_reference.py reads too) and what one pass of each costs. Three passes per shape, the three
 * kernels a training step runs per convolution:
 *   forward          y (N, H', W', Cout) = conv(x (N, H, W, Cin), w (k, k, Cin, Cout)), stride s, padding (k - 1) / 2
 *   input-gradient   dx (N, H, W, Cin) from dy and w   (tfjs `Conv2DBackpropInput`, PyTorch's `grad_input`)
 *   filter-gradient  dw (k, k, Cin, Cout) from x and dy (tfjs `Conv2DBackpropFilter`, PyTorch's `grad_weight`)
 * Each is N·H'·W'·Cout·k²·Cin multiply-adds, 2 flops each: the same count for every implementation.
 */
import { readFileSync } from 'node:fs';

export interface ConvShape {
  name: string;
  /** [batch, height, width, channels], channels last. */
  input: [number, number, number, number];
  filters: number;
  kernel: number;
  stride: number;
}

export const CONV_PASSES = ['forward', 'input-gradient', 'filter-gradient'] as const;
export type ConvPass = (typeof CONV_PASSES)[number];

export const CONVS_FILE = new URL('./peer/convs.json', import.meta.url);

export function loadConvs(): ConvShape[] {
  return (JSON.parse(readFileSync(CONVS_FILE, 'utf8')) as { convs: ConvShape[] }).convs;
}

/** The padding on each side: (k - 1) / 2, as the U-Net's `Conv2D` layer and PyTorch's `padding=k//2`. */
export const convPad = (c: ConvShape): number => (c.kernel - 1) / 2;

/** The output's [batch, height, width, channels]. */
export function convOutShape(c: ConvShape): [number, number, number, number] {
  const [n, h, w] = c.input;
  const side = (x: number) => Math.floor((x + 2 * convPad(c) - c.kernel) / c.stride) + 1;
  return [n, side(h), side(w), c.filters];
}

/** GFLOP of one pass (each of the three passes is the same number of multiply-adds). */
export function convGflop(c: ConvShape): number {
  const [n, oh, ow, cout] = convOutShape(c);
  return (2 * n * oh * ow * cout * c.kernel * c.kernel * c.input[3]) / 1e9;
}
