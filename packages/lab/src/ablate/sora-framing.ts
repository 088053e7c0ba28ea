/**
 * Sora's framing ablation of docs/sora/ablations.md, end to end at minutes-scale (run once, committed as a report):
 * native sizes vs centre-cropped squares, judged by how often the generated subject is fully in frame (`framingRate`
 * of samples at several sizes, and of the real clips each arm trains on). Each arm trains at seeds 0-2 (a seed sets
 * the weights, the data order and the sampling seed; seed 0 keeps the run's own name, seed s is `<name>-seed<s>`),
 * and the verdict is the rule of statistics.ts over them (framing-verdict.ts). Not a registry ablation (`vtx ablate`)
 * because its measure samples each arm at sizes a sweep's evaluation does not draw. (The captions ablation is the
 * registry's `descriptive-captions`; the re-captioning variant of docs/sora/ablations.md is CLI commands there.)
 * Usage: node --conditions=@vtx/source --import tsx packages/lab/src/ablate/sora-framing.ts
 * Writes runs/sora-framing-* (the built-in native-shapes data goes to the data cache), docs/sora/results/framing.json
 * (seed 0's rates as before, every seed's, and the verdict with its lines) and seed 0's sample GIFs under docs/sora/img/.
 */
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { setSeed } from '@vtx/core';
import { createLoader, resolveDataset } from '@vtx/data';
import { ExperimentConfig, loadRun, startBackend, train } from '@vtx/train';
import { writeGifGrid, type ClipArray } from '@vtx/media';
import { loadConfigFile } from '@vtx/config';
import { framingRate, sampleScoring } from '@vtx/eval';
import { sampleClips } from '@vtx/models';
import { framingVerdict, type FramingRates } from './framing-verdict.js';

const CONFIGS = 'configs/sora/ablations';
const RESULTS = 'docs/sora/results';
const IMG = 'docs/sora/img';
const log = (m: string) => process.stderr.write(`[ablation] ${m}\n`);

async function timed<T>(what: string, times: Record<string, number>, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  times[what] = Math.round((performance.now() - t0) / 1000);
  log(`${what}: ${times[what]} s`);
  return out;
}

/** The seeds each arm trains at. */
export const FRAMING_SEEDS = [0, 1, 2];
/** Samples per arm, seed and size. */
const SAMPLES = 16;

/** Train a config at a seed (the seed also sets the data order) unless its run already finished. */
async function trainOnce(file: string, seed: number): Promise<string> {
  const base = await loadConfigFile(join(CONFIGS, file), ExperimentConfig);
  const cfg: ExperimentConfig =
    seed === base.seed
      ? base
      : { ...base, seed, name: `${base.name}-seed${seed}`, data: { ...base.data, seed } };
  const out = join('runs', cfg.name);
  if (existsSync(join(out, 'summary.json'))) return out;
  await fs.rm(out, { recursive: true, force: true });
  await train(cfg, { out, terminal: process.stderr, samples: sampleScoring });
  return out;
}

async function writeJson(name: string, value: unknown): Promise<void> {
  await fs.mkdir(RESULTS, { recursive: true });
  await fs.writeFile(join(RESULTS, `${name}.json`), `${JSON.stringify(value, null, 2)}\n`);
}

/** Framing rate of real clips as the loader delivers them (with the run's crop, if any). */
async function realFraming(cfg: ExperimentConfig, count: number): Promise<Record<string, number>> {
  const loader = await createLoader({ ...cfg.data, shuffle: false, worker: false });
  const rates: Record<string, { ok: number; n: number }> = {};
  try {
    let seen = 0;
    while (seen < count) {
      const b = await loader.next();
      if (b.epoch > 0) break;
      const key = b.shape.slice(1, 4).join('x');
      const r = (rates[key] ??= { ok: 0, n: 0 });
      r.ok += framingRate(b.clips, b.shape) * b.shape[0]!;
      r.n += b.shape[0]!;
      seen += b.shape[0]!;
    }
  } finally {
    await loader.close();
  }
  return Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, v.ok / v.n]));
}

/** Framing rates of an arm's samples at each size (sampling seed 7 + seed); GIFs of seed 0's first 8. */
async function sampleArm(
  arm: string,
  run: Awaited<ReturnType<typeof loadRun>>,
  sizes: [number, number, number][],
  seed: number,
  times: Record<string, number>,
): Promise<Record<string, number>> {
  const perSize: Record<string, number> = {};
  for (const size of sizes) {
    const x = await timed(`sample ${arm} seed ${seed} ${size.join('x')}`, times, () =>
      sampleClips(run.model, run.process!, run.condition!, {
        count: SAMPLES,
        clip: [...size, 3],
        classes: [0, 1, 2, 3],
        seed: 7 + seed,
      }),
    );
    const data = (await x.data()) as Float32Array;
    perSize[size.join('x')] = framingRate(data, x.shape);
    if (seed === 0) {
      const k = 8;
      const clips: ClipArray = {
        data: data.slice(0, (k * data.length) / SAMPLES),
        shape: [k, ...x.shape.slice(1)] as ClipArray['shape'],
      };
      await writeGifGrid(join(IMG, `framing-${arm}-${size.join('x')}.gif`), clips, { cols: 4 });
    }
    x.dispose();
  }
  return perSize;
}

async function framing(): Promise<void> {
  const times: Record<string, number> = {};
  // both arms read the built-in `kind: native-shapes` dataset (the squares arm crops it): built once into the cache
  const native = await loadConfigFile(join(CONFIGS, 'framing-native.yaml'), ExperimentConfig);
  await timed('build native-shapes', times, () => resolveDataset(native.data.dataset, native.data.cacheDir));
  const files = { native: 'framing-native.yaml', squares: 'framing-squares.yaml' } as const;
  const sizes: [number, number, number][] = [
    [4, 16, 32],
    [4, 32, 16],
    [4, 16, 16],
    [4, 24, 40], // seen by neither arm
  ];
  const result: Record<string, unknown> = { sizes, times, seeds: FRAMING_SEEDS, samplesPerSize: SAMPLES };
  const rates: FramingRates = { native: {}, squares: {} };
  await fs.mkdir(IMG, { recursive: true });
  for (const seed of FRAMING_SEEDS)
    for (const arm of ['native', 'squares'] as const) {
      const dir = await timed(`train ${arm} seed ${seed}`, times, () => trainOnce(files[arm], seed));
      const run = await loadRun(dir);
      const perSize = await sampleArm(arm, run, sizes, seed, times);
      for (const [size, rate] of Object.entries(perSize)) (rates[arm][size] ??= []).push(rate);
      if (seed === FRAMING_SEEDS[0]) result[arm] = { samples: perSize, real: await realFraming(run.cfg, 96) };
      tf.disposeVariables();
    }
  const verdict = framingVerdict(rates, FRAMING_SEEDS, SAMPLES);
  result['rates'] = rates;
  result['verdict'] = verdict;
  await writeJson('framing', result);
  log(JSON.stringify(result, null, 2));
  log(`verdict: ${verdict.verdict}\n${verdict.lines.join('\n')}`);
}

export async function main(args: string[]): Promise<void> {
  await startBackend(); // the configs pick none: VTX_BACKEND, else the fastest that starts (native here)
  setSeed(0);
  if (args.length && args[0] !== 'framing') throw new Error('usage: sora-framing.ts [framing]');
  await framing();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
