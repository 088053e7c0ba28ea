/**
 * What every model family shares: the data geometry a model is built for, and small schema helpers.
 * Like DiT's `DiT_models[name](input_size=…)`, the model config says *what* the model is and the clip says
 * *what it sees*; builders take both. Models still accept any clip divisible by their patch at run time; the
 * clip given at build time only fixes learned position tables (which resize) and the cost estimates.
 */
import { z } from 'zod';

export const int = z.number().int();
export const posInt = z.number().int().positive();
export const Patch = z.tuple([posInt, posInt, posInt]);
/** A patch or tubelet [pt, ph, pw]: the step of a clip's [frames, height, width] one token covers. */
export type Tubelet = [number, number, number];

/** An image model's square patch p as the tubelet [1, p, p] (an image is a 1-frame clip). */
export function imagePatch(p: number): Tubelet {
  return [1, p, p];
}

/** [frames, height, width, channels] of one clip; an image is a 1-frame clip. */
export const ClipShape = z.tuple([posInt, posInt, posInt, posInt]);
export type ClipShape = z.infer<typeof ClipShape>;

/** The token grid of a clip for a patch, with a clear error when it does not divide. */
export function gridOf(
  clip: readonly number[],
  patch: readonly number[],
  what = 'model',
): [number, number, number] {
  const [t, h, w] = clip as [number, number, number];
  const [pt, ph, pw] = patch as [number, number, number];
  if (t % pt || h % ph || w % pw) {
    throw new Error(`${what}: clip ${t}x${h}x${w} is not divisible by patch ${pt}x${ph}x${pw}`);
  }
  return [t / pt, h / ph, w / pw];
}

/** The size knobs a config sets explicitly, so `undefined` never clobbers a size table row. */
export function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
