/** The dashboard's reading side: scanning for runs/sweeps/ablations, the power-law fit, and the HTTP API. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseVerdict,
  scan,
  startViewServer,
  type IndexResponse,
  type RunDetail,
  type SweepDetail,
  type ViewServer,
} from '@vtx/view';
import { SWEEP, liveRun, reportedSweep, scalingSweep } from './fixtures.js';
import { fitPowerLaw, parseMetrics } from '@vtx/runs';

const root = mkdtempSync(join(tmpdir(), 'vtx-view-api-'));
let view: ViewServer;
beforeAll(async () => {
  liveRun(join(root, 'live'));
  mkdirSync(join(root, 'sweeps', 'scaling'), { recursive: true });
  scalingSweep(join(root, 'sweeps', 'scaling'));
  mkdirSync(join(root, 'sweeps', 'patch'), { recursive: true });
  reportedSweep(join(root, 'sweeps', 'patch'));
  view = await startViewServer({ root });
});
afterAll(async () => {
  await view.close();
  rmSync(root, { recursive: true, force: true });
});

const get = async <T>(path: string): Promise<T> => {
  const res = await fetch(new URL(path, view.url));
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

describe('fitPowerLaw', () => {
  it('recovers a and b of points on y = a·x^b exactly, and refuses one point', () => {
    const xs = [2, 20, 200, 2000];
    const f = fitPowerLaw(
      xs,
      xs.map((x) => 5 * x ** -0.5),
    )!;
    expect(f.a).toBeCloseTo(5, 10);
    expect(f.exponent).toBeCloseTo(-0.5, 12);
    expect(f.r2).toBeCloseTo(1, 12);
    expect(fitPowerLaw([1], [1])).toBeUndefined();
  });
});

describe('parsing', () => {
  it('reads metrics lines with non-finite values and skips a torn last line', () => {
    const text = '{"step":1,"loss":"NaN"}\n{"step":2,"loss":0.5}\n{"step":3,"lo';
    const r = parseMetrics(text);
    expect(r.map((x) => x.step)).toEqual([1, 2]);
    expect(r[0]!['loss']).toBeNaN();
  });
  it("reads an ablation README's verdict and its lines", () => {
    expect(parseVerdict('# x\n\n## Verdict: partly reproduced\n\na\nb\n\n## Results\nc')).toEqual({
      verdict: 'partly reproduced',
      lines: ['a', 'b'],
    });
    expect(parseVerdict('# no verdict')).toBeUndefined();
  });
});

describe('scan and API', () => {
  it('finds the live run, the sweeps and their runs', async () => {
    const idx = await scan(root);
    expect(idx.runs.map((r) => [r.id, r.status])).toEqual([
      ['live', 'running'],
      ['sweeps/scaling/runs/size-B', 'completed'],
      ['sweeps/scaling/runs/size-L', 'completed'],
      ['sweeps/scaling/runs/size-M', 'completed'],
      ['sweeps/scaling/runs/size-S', 'completed'],
    ]);
    expect(idx.sweeps.map((s) => [s.id, s.kind, s.runs.length])).toEqual([
      ['sweeps/patch', 'sweep', 0],
      ['sweeps/scaling', 'ablation', 4],
    ]);
    expect(idx.sweeps[1]!.verdict?.verdict).toBe('reproduced');
    expect(await get<IndexResponse>('/api/index')).toEqual(JSON.parse(JSON.stringify(idx)));
  });

  it('serves a run with its metrics, config and sample URLs; the sample file itself', async () => {
    const run = await get<RunDetail>('/api/run?id=live');
    expect(run.metrics).toHaveLength(11);
    expect(run.config).toContain('kind: video-dit');
    expect(run.samples).toEqual(['/files/live/samples/step-10.gif']);
    const gif = await fetch(new URL(run.samples[0]!, view.url));
    expect(gif.headers.get('content-type')).toBe('image/gif');
    expect(
      Buffer.from(await gif.arrayBuffer())
        .subarray(0, 6)
        .toString('latin1'),
    ).toBe('GIF89a');
  });

  it("fits a sweep without a report itself, and uses a report's own fits", async () => {
    const s = await get<SweepDetail>('/api/sweep?id=sweeps%2Fscaling');
    expect(s.metric).toBe('finalLoss');
    expect(s.rows).toHaveLength(4);
    const fit = s.fits.find((f) => f.x === 'trainGflop')!;
    expect(fit.source).toBe('dashboard');
    expect(fit.exponent).toBeCloseTo(SWEEP.exponent, 10);
    expect(fit.a).toBeCloseTo(SWEEP.a, 8);
    const p = await get<SweepDetail>('/api/sweep?id=sweeps%2Fpatch');
    expect(p.metric).toBe('val/loss');
    expect(p.rows.map((r) => r.metric)).toEqual([0.9, 0.7, undefined]);
    expect(p.fits.find((f) => f.x === 'trainGflop')).toMatchObject({
      a: 2,
      exponent: -0.25,
      source: 'report',
    });
  });

  it('refuses paths outside the root, foreign Host headers and writes', async () => {
    expect((await fetch(new URL('/files/..%2F..%2Fetc%2Fpasswd', view.url))).status).toBe(403);
    expect((await fetch(new URL('/api/run?id=..', view.url))).status).toBe(403);
    const status = await new Promise<number | undefined>((ok, fail) =>
      request(new URL('/api/index', view.url), { headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        ok(res.statusCode);
      })
        .on('error', fail)
        .end(),
    );
    expect(status).toBe(403); // DNS rebinding: a page on another name must not read the API
    expect((await fetch(new URL('/api/index', view.url), { method: 'POST' })).status).toBe(405);
    expect(new URL(view.url).hostname).toBe('127.0.0.1');
  });
});
