/**
 * The closed-form motion reader: on real bouncing-shapes clips (at several sizes) it reads the generator's motion
 * label for every clip and sees one subject in every frame; on hand-built clips its centroid track is the one
 * computed here; on salt-and-pepper speckle (what an undertrained model generates) it sees no single subject.
 */
import { MOTION_CLASSES, SyntheticSpec, syntheticClip } from '@vtx/data';
import { describe, expect, it } from 'vitest';
import { clipMotion, motionScore } from '../src/motion.js';
import { mix32 } from '@vtx/core';

function realClips(count: number, frames: number, height: number, width: number) {
  const spec = SyntheticSpec.parse({ kind: 'synthetic', count, frames, height, width, seed: 3 });
  const size = frames * height * width * 3;
  const data = new Float32Array(count * size);
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const c = syntheticClip(spec, i);
    c.data.forEach((v, j) => (data[i * size + j] = v / 127.5 - 1));
    labels.push(c.label!);
  }
  return { data, labels, shape: [count, frames, height, width, 3] };
}

describe('motion reader', () => {
  it.each([
    [4, 16, 16],
    [8, 16, 32],
    [4, 32, 32],
  ])('reads the label of every real %ix%ix%i clip and one subject per frame', (t, h, w) => {
    const { data, labels, shape } = realClips(64, t, h, w);
    expect(motionScore(data, shape, labels)).toEqual({ oneSubject: 1, directionAcc: 1 });
    // a wrong label for every clip scores 0: the reader is not constant
    const wrong = labels.map((l) => (l + 1) % MOTION_CLASSES.length);
    expect(motionScore(data, shape, wrong).directionAcc).toBe(0);
  });

  it('tracks the centroid of a hand-built 2x2 square moving down one pixel a frame', () => {
    const [t, h, w] = [3, 8, 8];
    const data = new Float32Array(t * h * w).fill(-1); // one channel, background -1
    for (let f = 0; f < t; f++)
      for (const [y, x] of [
        [2 + f, 3],
        [2 + f, 4],
        [3 + f, 3],
        [3 + f, 4],
      ])
        data[f * h * w + y! * w + x!] = 1;
    const m = clipMotion(data, [t, h, w, 1]);
    expect(m.track).toEqual([
      [2.5, 3.5],
      [3.5, 3.5],
      [4.5, 3.5],
    ]);
    expect(MOTION_CLASSES[m.direction]).toBe('top-to-bottom');
    expect(m.oneSubject).toBe(true);
  });

  it('sees two blobs or an empty frame as not one subject, and an empty clip as no direction', () => {
    const [t, h, w] = [2, 8, 8];
    const two = new Float32Array(t * h * w).fill(-1);
    for (let f = 0; f < t; f++) for (const x of [1, 2, 5, 6]) two[f * h * w + 3 * w + x] = 1; // two 1x2 bars
    expect(clipMotion(two, [t, h, w, 1]).oneSubject).toBe(false);
    const empty = new Float32Array(t * h * w).fill(-1);
    expect(clipMotion(empty, [t, h, w, 1])).toMatchObject({ oneSubject: false, direction: -1 });
  });

  it('finds no single subject in seeded salt-and-pepper speckle over a flat background', () => {
    const [n, t, h, w] = [16, 4, 16, 16];
    const data = new Float32Array(n * t * h * w * 3).fill(-0.8);
    for (let i = 0; i < data.length / 3; i++) if (mix32(7, i) % 20 === 0) data.fill(0.9, i * 3, i * 3 + 3);
    expect(motionScore(data, [n, t, h, w, 3]).oneSubject).toBe(0);
  });
});
