/**
 * `vtx train --backend webgpu` (SwiftShader here, see packages/core/test/backend/webgpu-env.ts): a tiny video
 * DiT's losses agree step by step with the same run on the host backend (native where its addon loads, else cpu),
 * and a checkpoint written on either backend resumes on the other with a logged notice and the same losses.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readMetrics } from '@vtx/runs';
import { train } from '@vtx/train';
import { listCheckpoints } from '@vtx/checkpoint';
import { adapterLabel, importer, webGpuTests } from '../../core/test/backend/webgpu-env.js';
import { captureCli } from './helpers/cli.js';
import { tinyDiT, wasmRunsDir } from '../../train/test/helpers/tiny.js';

const dir = wasmRunsDir('webgpu-train');
const cli = captureCli();
const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream;
const host = (await importer('@vtx/backend-native').then(
  () => true,
  () => false,
))
  ? 'native'
  : 'cpu';

/** Per step, relative (measured on SwiftShader: 2.2e-7 against native): float32 on both sides, 12 AdamW updates. */
const LOSS_TOL = 1e-5;
const STEPS = 12;

const config = (name: string, backend: string) =>
  tinyDiT(join(dir, 'cache'), {
    name,
    backend,
    train: { steps: STEPS, logEvery: 1, checkpointEvery: 6, keepLast: 2, ema: { enabled: true, decay: 0.9 } },
  });

const losses = async (run: string) =>
  new Map(
    (await readMetrics(join(run, 'metrics.jsonl')))
      .filter((r) => 'loss' in r)
      .map((r) => [r['step'], r['loss'] as number]),
  );

function expectAgree(got: Map<number, number>, ref: Map<number, number>): void {
  expect([...got.keys()]).toEqual([...ref.keys()]);
  for (const [step, loss] of ref)
    expect(Math.abs(got.get(step)! - loss) / Math.abs(loss), `step ${step}`).toBeLessThan(LOSS_TOL);
}

/** Train on `backend` until the checkpoint at step 6, as an interrupted run leaves it. */
async function stopAt6(name: string, backend: string): Promise<string> {
  const out = join(dir, name);
  const stop = new AbortController();
  await train(config(name, backend), {
    out,
    terminal: quiet,
    signal: stop.signal,
    onStep: (r) => r.step === 5 && stop.abort(), // seen after the next step, which checkpoints
  });
  expect((await listCheckpoints(join(out, 'checkpoints'))).map((c) => c.step)).toEqual([6]);
  return out;
}

const logged = (run: string) => readFileSync(join(run, 'log.jsonl'), 'utf8');

describe.skipIf(!webGpuTests.adapter)(`vtx train --backend webgpu (${adapterLabel()}) vs ${host}`, () => {
  let reference = new Map<number, number>();

  it(`${STEPS} steps: the losses agree with ${host} to ${LOSS_TOL} relative`, async () => {
    const ref = join(dir, 'ref');
    await train(config('ref', host), { out: ref, terminal: quiet });
    reference = await losses(ref);
    expect(reference.size).toBe(STEPS);

    const file = join(dir, 'tiny-dit.yaml');
    writeFileSync(file, stringify(config('gpu', host)));
    const out = join(dir, 'gpu');
    expect(await cli.run('train', '--config', file, '--backend', 'webgpu', '--out', out)).toBe(0);
    expect(logged(out)).toContain(`tfjs backend: webgpu on ${webGpuTests.adapter!.description}`);
    expectAgree(await losses(out), reference);
    await tf.setBackend('cpu');
  }, 600_000);

  it(`a webgpu checkpoint resumes on ${host}, and a ${host} one on webgpu, with a notice`, async () => {
    for (const [from, to] of [
      ['webgpu', host],
      [host, 'webgpu'],
    ] as const) {
      const run = await stopAt6(`${from}-to-${to}`, from);
      expect(await cli.run('train', '--resume', run, '--backend', to)).toBe(0);
      expect(logged(run)).toContain(`the checkpoint was written on backend ${from}; resuming on ${to}`);
      expectAgree(await losses(run), reference);
    }
    await tf.setBackend('cpu');
  }, 600_000);
});
