/**
 * The closed-form readers `eval.judge` uses without a judge run, chosen by the evaluation data's kind: the occlusion
 * dataset's own clips, read through the same function the evaluator calls, score 1.0 on permanence, consistency and
 * occlusion (and get none of the motion reader's metrics, though their labels are the motion classes); samples that
 * freeze or lose the subject score the hand-counted fraction; bouncing shapes still get the motion reader; other data
 * gets nothing; and eval.judge without a run is accepted for occlusion data and refused for Moving MNIST.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MOTION_CLASSES, OcclusionSpec, occlusionClip, type Visibility } from '@vtx/data';
import { ConfigError } from '@vtx/config';
import { ExperimentConfig } from '@vtx/train';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../../data/test/helpers.js';
import { closedFormMetrics, hasClosedForm } from '../src/closed-form.js';
import { referenceRows } from '../src/judge.js';
import { checkJudgeConfig } from '../src/sample-quality.js';

const root = tmpDir('vtx-closed-form');
const dataset = { kind: 'occlusion' as const, count: 16, seed: 5 }; // 16 frames of 32x64
const spec = OcclusionSpec.parse(dataset);
const [T, H, W] = [spec.frames, spec.height, spec.width];
const FRAME = H * W * 3;
const none = { kind: 'none' as const };

/** The dataset's clips in [-1, 1], clip i passed through `edit` (frames, visibility) first. */
function clips(edit: (i: number, frames: Uint8Array, vis: Visibility[]) => void = () => {}): tf.Tensor {
  const data = new Float32Array(spec.count * T * FRAME);
  for (let i = 0; i < spec.count; i++) {
    const c = occlusionClip(spec, i);
    const bytes = new Uint8Array(c.data);
    edit(i, bytes, c.meta!['visibility'] as Visibility[]);
    data.set(
      Float32Array.from(bytes, (v) => v / 127.5 - 1),
      i * T * FRAME,
    );
  }
  return tf.tensor(data, [spec.count, T, H, W, 3]);
}

describe('closed-form metrics by dataset kind', () => {
  it("reads real occlusion clips at 1.0, by the rows' kind (occlusion), without the motion reader", async () => {
    const rows = await referenceRows({ dataset, cacheDir: root, batchSize: 8 }, spec.count);
    expect(rows.kind).toBe('occlusion');
    expect(rows.labelNames).toEqual([...MOTION_CLASSES]); // the motion classes, as for bouncing shapes
    const x = clips();
    expect(await closedFormMetrics(x, none, [], rows)).toEqual({
      'sample/permanence': 1,
      'sample/consistency': 1,
      'sample/occluded': 1,
    });
    x.dispose();
  });

  it('samples that freeze or lose the subject score the hand-counted fraction', async () => {
    const rows = { kind: 'occlusion', labelNames: [...MOTION_CLASSES], attributes: [] };
    // clips 0, 4, 8, 12 freeze on frame 0 (never hidden); clips 1, 5, 9, 13 stay on their first hidden frame from
    // there on (the subject never comes out): 8 of 16 have no occlusion episode, so no permanence
    const x = clips((i, bytes, vis) => {
      const from = i % 4 === 0 ? 0 : i % 4 === 1 ? vis.indexOf('hidden') : -1;
      if (from < 0) return;
      for (let f = from + 1; f < T; f++) bytes.copyWithin(f * FRAME, from * FRAME, (from + 1) * FRAME);
    });
    const m = await closedFormMetrics(x, none, [], rows);
    expect(m['sample/occluded']).toBe(0.5);
    expect(m['sample/permanence']).toBe(0.5);
    // a subject that never moves is part of the static scene, so no subject is read (no consistency either); one
    // that never re-emerges keeps its colour and size while visible
    expect(m['sample/consistency']).toBe(0.75);
    x.dispose();
    const noise = tf.randomUniform([4, T, H, W, 3], -1, 1, 'float32', 3);
    const n = await closedFormMetrics(noise, none, [], rows);
    expect(n['sample/permanence']).toBe(0);
    noise.dispose();
  });

  it('bouncing shapes get the motion reader; other data has no closed-form reader', async () => {
    const x = clips();
    const shapes = { kind: 'synthetic', labelNames: [...MOTION_CLASSES], attributes: [] };
    expect(Object.keys(await closedFormMetrics(x, { kind: 'class', numClasses: 4 }, [0, 1], shapes))).toEqual(
      ['sample/one-subject', 'sample/direction-acc'],
    );
    const digits = { kind: 'moving-mnist', labelNames: ['0', '1'], attributes: [] };
    expect(await closedFormMetrics(x, none, [], digits)).toEqual({});
    expect(hasClosedForm(digits)).toBe(false);
    expect(hasClosedForm({ kind: 'occlusion', labelNames: null })).toBe(true);
    expect(hasClosedForm({ kind: null, labelNames: [...MOTION_CLASSES] })).toBe(true); // e.g. a path dataset
    x.dispose();
  });
});

describe('eval.judge without a run', () => {
  const config = (data: Record<string, unknown>) =>
    ExperimentConfig.parse({
      name: 'c',
      data: { dataset: data },
      model: { kind: 'video-dit', depth: 1, width: 32, heads: 2, condition: 'none' },
      eval: { judge: { samples: 8 } },
    });

  it('is accepted for occlusion data and refused for Moving MNIST, naming eval.judge.run and the file', async () => {
    await expect(checkJudgeConfig(config(dataset), 'c.yaml')).resolves.toBeUndefined();
    const err = await checkJudgeConfig(
      config({ kind: 'moving-mnist', count: 8, frames: 4, size: 32 }),
      'c.yaml',
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('c.yaml');
    expect((err as Error).message).toMatch(
      /eval\.judge\.run: required for 'moving-mnist' data: .*synthetic, native-shapes, occlusion/,
    );
  });
});
