/**
 * The closed-form continuation reader (frame conditioning's measurements): on real bouncing-shapes clips the later
 * frames continue the first, keep its motion forward and backward, connect the first frame to the last, and the
 * colours read back as the generator's attributes; on clips spliced from two unrelated clips (what a model that
 * ignored its given frames would draw, at its best) the same questions mostly fail.
 */
import { SHAPE_ATTRIBUTES, SyntheticSpec, syntheticClip, type ShapeAttributes } from '@vtx/data';
import { describe, expect, it } from 'vitest';
import {
  connects,
  continuesSubject,
  frameSubject,
  keepsMotion,
  nearestColour,
  type ClipData,
} from '../src/continuation.js';

const shape = [4, 16, 16, 3] as const;
const spec = SyntheticSpec.parse({ kind: 'synthetic', count: 64, frames: 4, height: 16, width: 16, seed: 5 });
const real = Array.from({ length: 64 }, (_, i) => {
  const c = syntheticClip(spec, i);
  return {
    clip: { data: Float32Array.from(c.data, (v) => v / 127.5 - 1), shape },
    attributes: c.attributes!,
  };
});

/** Clip a's frames, with the frames in `from` taken from clip b. */
function splice(a: ClipData, b: ClipData, from: readonly number[]): ClipData {
  const size = 16 * 16 * 3;
  const data = Float32Array.from(a.data);
  for (const f of from) data.set(Array.from(b.data).slice(f * size, (f + 1) * size), f * size);
  return { data, shape };
}

const rate = (f: (i: number) => boolean) => real.filter((_, i) => f(i)).length / real.length;
const other = (i: number) => real[(i + 1) % real.length]!.clip;

describe('continuation reader', () => {
  it('reads real clips as continuing their first frame, and spliced ones mostly not', () => {
    expect(rate((i) => continuesSubject(real[i]!.clip, 0, [1, 2, 3]))).toBe(1);
    expect(
      rate((i) => continuesSubject(splice(real[i]!.clip, other(i), [1, 2, 3]), 0, [1, 2, 3])),
    ).toBeLessThan(0.2);
  });

  it('reads real clips as keeping their motion forward and backward, spliced ones near chance', () => {
    expect(rate((i) => keepsMotion(real[i]!.clip, [0, 1], [2, 3]).speed)).toBe(1);
    expect(rate((i) => keepsMotion(real[i]!.clip, [3, 2], [1, 0]).speed)).toBe(1);
    const spliced = rate(
      (i) => keepsMotion(splice(real[i]!.clip, other(i), [2, 3]), [0, 1], [2, 3]).direction,
    );
    expect(spliced).toBeLessThan(0.45);
  });

  it('reads real clips as connecting their first frame to their last, spliced middles not', () => {
    expect(rate((i) => connects(real[i]!.clip, 0, 3, [1, 2]))).toBe(1);
    expect(rate((i) => connects(splice(real[i]!.clip, other(i), [1, 2]), 0, 3, [1, 2]))).toBeLessThan(0.2);
  });

  it("reads the subject's colour and the background as the generator's attributes", () => {
    const colours = SHAPE_ATTRIBUTES.colour as readonly ShapeAttributes['colour'][];
    const backgrounds = SHAPE_ATTRIBUTES.background as readonly ShapeAttributes['background'][];
    for (const { clip, attributes } of real) {
      const s = frameSubject(clip, 0);
      expect(nearestColour(s.background, backgrounds)).toBe(attributes.background);
      expect(nearestColour(s.colour!, colours)).toBe(attributes.colour);
    }
  });
});
