import path from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  COLOUR_RGB,
  OCCLUDER_RGB,
  OcclusionSpec,
  buildOcclusion,
  createLoader,
  occlusionClip,
  type ShapeAttributes,
  type Visibility,
} from '../src/index.js';
import { tmpDir } from './helpers.js';

const spec = OcclusionSpec.parse({ kind: 'occlusion', count: 64, seed: 3 });
const [T, H, W] = [spec.frames, spec.height, spec.width];

/** Pixels of frame f within 40 levels (max over channels) of `rgb`. */
function near(data: Uint8Array, f: number, rgb: readonly number[], cols?: [number, number]) {
  let n = 0;
  for (let y = 0; y < H; y++)
    for (let x = cols?.[0] ?? 0; x < (cols?.[1] ?? W); x++) {
      const o = ((f * H + y) * W + x) * 3;
      if (Math.max(...[0, 1, 2].map((c) => Math.abs(data[o + c]! - rgb[c]!))) < 40) n++;
    }
  return n;
}

describe('occlusion dataset', () => {
  it('every clip is visible twice before the bar, hidden at least once, visible twice after', () => {
    for (let i = 0; i < spec.count; i++) {
      const vis = occlusionClip(spec, i).meta!['visibility'] as Visibility[];
      const first = vis.indexOf('hidden');
      const last = vis.lastIndexOf('hidden');
      expect(first).toBeGreaterThan(0);
      expect(vis.slice(0, first).filter((v) => v === 'visible').length).toBeGreaterThanOrEqual(2);
      expect(vis.slice(last + 1).filter((v) => v === 'visible').length).toBeGreaterThanOrEqual(2);
      // one crossing: visible, then partial, hidden, partial, visible; never visible again in the middle
      const runs = vis.filter((v, k) => k === 0 || v !== vis[k - 1]);
      expect(runs).toEqual(['visible', 'partial', 'hidden', 'partial', 'visible']);
    }
  });

  it('the pixels follow the layout: the bar in every frame, the subject absent when hidden and whole when visible', () => {
    for (let i = 0; i < 16; i++) {
      const c = occlusionClip(spec, i);
      const data = c.data;
      const a = c.attributes as ShapeAttributes;
      const bar = c.meta!['occluder'] as { x0: number; x1: number };
      const vis = c.meta!['visibility'] as Visibility[];
      const fg = COLOUR_RGB[a.colour];
      const visibleAreas: number[] = [];
      for (let f = 0; f < T; f++) {
        expect(near(data, f, OCCLUDER_RGB, [bar.x0, bar.x1])).toBe(H * (bar.x1 - bar.x0));
        const area = near(data, f, fg);
        if (vis[f] === 'hidden') expect(area).toBe(0);
        if (vis[f] === 'visible') visibleAreas.push(area);
      }
      // the whole subject in every visible frame: the same area to within anti-aliasing
      const [lo, hi] = [Math.min(...visibleAreas), Math.max(...visibleAreas)];
      expect(lo).toBeGreaterThan(0);
      expect(hi / lo).toBeLessThan(1.5);
    }
  });

  it('is deterministic in (seed, i), moves horizontally, and loads through the loader', async () => {
    expect(occlusionClip(spec, 5).data).toEqual(occlusionClip(spec, 5).data);
    expect(occlusionClip(spec, 5).data).not.toEqual(occlusionClip({ ...spec, seed: 4 }, 5).data);
    const dirs = new Set(
      Array.from(
        { length: spec.count },
        (_, i) => (occlusionClip(spec, i).attributes as ShapeAttributes).direction,
      ),
    );
    expect([...dirs].sort()).toEqual(['left-to-right', 'right-to-left']);
    const dir = path.join(tmpDir(), 'occ');
    await buildOcclusion(dir, { kind: 'occlusion', count: 8, seed: 3 });
    const loader = await createLoader({ dataset: dir, batchSize: 4, worker: false });
    try {
      const b = await loader.next();
      expect(b.shape).toEqual([4, T, H, W, 3]);
      expect(b.captions?.[0]).toMatch(/passing behind a grey bar$/);
    } finally {
      await loader.close();
    }
  });

  it('refuses a frame too small for the crossing, naming the sizes', () => {
    const tight = OcclusionSpec.parse({ kind: 'occlusion', count: 32, frames: 12, height: 48, width: 48 });
    expect(() => {
      for (let i = 0; i < tight.count; i++) occlusionClip(tight, i);
    }).toThrow(/12x48x48 leaves \d+ visible frames before the bar.*use more frames or a wider frame/);
  });
});
