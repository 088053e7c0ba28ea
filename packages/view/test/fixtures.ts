/**
 * Run and sweep directories as `vtx train` / `vtx sweep` / `vtx ablate` write them (config.yaml, metrics.jsonl,
 * summary.json, samples/*.gif, sweep.json, README.md with a verdict, report/report.json), built from closed forms so
 * the tests know every expected number: sweep losses lie exactly on L = 3·C^-0.3.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A 1x1 GIF (the smallest valid GIF89a). */
export const TINY_GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

export const trainRecord = (step: number) => ({
  step,
  loss: 1 / Math.sqrt(step),
  lr: 1e-3 * Math.min(1, step / 5),
  gradNorm: 0.5,
  samplesPerSec: 40 + step,
  tokensPerSec: 2560 + 64 * step,
  gflopsPerSec: 1.5,
});

export function appendMetrics(runDir: string, records: object[]): void {
  appendFileSync(join(runDir, 'metrics.jsonl'), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/** A run still training: no summary.json yet, 10 train records and one eval record, one sample GIF. */
export function liveRun(dir: string): string {
  mkdirSync(join(dir, 'samples'), { recursive: true });
  writeFileSync(join(dir, 'config.yaml'), 'name: live\nseed: 0\nmodel:\n  kind: video-dit\n  depth: 2\n');
  appendMetrics(dir, [
    ...Array.from({ length: 10 }, (_, i) => trainRecord(i + 1)),
    { step: 10, 'val/loss': 0.4 },
  ]);
  writeFileSync(join(dir, 'samples', 'step-10.gif'), TINY_GIF);
  return dir;
}

export const SWEEP = { a: 3, exponent: -0.3, compute: [10, 100, 1000, 10000] };

/** A finished four-run scaling sweep with an ablation verdict (no report.json: the dashboard fits). */
export function scalingSweep(dir: string): string {
  const sizes = ['S', 'M', 'B', 'L'];
  writeFileSync(
    join(dir, 'sweep.json'),
    JSON.stringify({
      version: 1,
      name: 'dit-scaling',
      axes: ['model.size'],
      runs: sizes.map((s) => ({ name: `size-${s}` })),
    }),
  );
  writeFileSync(
    join(dir, 'README.md'),
    '# DiT scaling\n\n## Verdict: reproduced\n\nloss falls as Gflops rise: Pearson r = -1.00 (paper: -0.93)\n\n## Results\n\n| … |\n',
  );
  SWEEP.compute.forEach((c, i) => {
    const run = join(dir, 'runs', `size-${sizes[i]}`);
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'config.yaml'), `name: size-${sizes[i]}\n`);
    appendMetrics(run, [trainRecord(1), trainRecord(2)]);
    writeFileSync(
      join(run, 'summary.json'),
      JSON.stringify({
        name: `size-${sizes[i]}`,
        model: `VideoDiT-${sizes[i]}`,
        status: 'completed',
        step: 2,
        steps: 2,
        params: 1000 * 4 ** i,
        gflops: c / 100,
        trainGflop: c,
        finalLoss: SWEEP.a * c ** SWEEP.exponent,
        metrics: {},
      }),
    );
  });
  return dir;
}

/** A report directory as `vtx sweep report` writes it (report.json with its own fits). */
export function reportedSweep(dir: string): string {
  mkdirSync(join(dir, 'report'), { recursive: true });
  writeFileSync(
    join(dir, 'report', 'report.json'),
    JSON.stringify({
      name: 'patch',
      metric: 'val/loss',
      fits: [
        {
          x: 'trainGflop',
          metric: 'val/loss',
          fit: { a: 2, exponent: -0.25, r2: 0.9, n: 3 },
          pearsonLog: -0.9,
        },
      ],
      rows: [
        {
          name: 'p8',
          axes: { 'model.patch': [1, 8, 8] },
          state: 'completed',
          trainGflop: 5,
          gflops: 0.1,
          final: { 'val/loss': 0.9 },
          best: {},
        },
        {
          name: 'p4',
          axes: { 'model.patch': [1, 4, 4] },
          state: 'completed',
          trainGflop: 20,
          gflops: 0.4,
          final: { 'val/loss': 0.7 },
          best: {},
        },
        { name: 'p2', axes: { 'model.patch': [1, 2, 2] }, state: 'pending', final: {}, best: {} },
      ],
    }),
  );
  return dir;
}
