/**
 * The two Sora ablations of docs/sora/ablations.md, end to end at minutes-scale (run once, committed as a report):
 *   framing:  native sizes vs centre-cropped squares, judged by how often the generated subject is fully in frame;
 *   captions: terse vs re-captioned descriptive captions, judged by attribute accuracy of samples (in-distribution
 *             and held-out attribute combinations) and the Fréchet distance in the judge's features.
 * Usage: node --conditions=@vtx/source --import tsx packages/lab/src/ablate/sora-ablations.ts framing|captions [--fresh]
 * Writes runs/sora-*, data/sora/* (the framing arms' built-in native-shapes data goes to the data cache), and
 * docs/sora/results/<ablation>.json plus sample GIFs under docs/sora/img/.
 */
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, setSeed } from '@vtx/core';
import { createLoader, resolveDataset, type BuiltinDataset } from '@vtx/data';
import { loadConfigFile, ExperimentConfig, loadRun, writeGifGrid, type ClipArray, train } from '@vtx/train';
import { loadJudge, scoreRun, framingRate, recaptionDataset, sampleScoring } from '@vtx/eval';
import { sampleClips } from '@vtx/models';

const CONFIGS = 'configs/sora/ablations';
const RESULTS = 'docs/sora/results';
const IMG = 'docs/sora/img';
/** The generators' clips: every other frame of 8, from the start. */
const FOUR_FRAMES = { frames: 4, stride: 2, offset: 'start' } as const;
const log = (m: string) => process.stderr.write(`[ablation] ${m}\n`);

async function timed<T>(what: string, times: Record<string, number>, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  times[what] = Math.round((performance.now() - t0) / 1000);
  log(`${what}: ${times[what]} s`);
  return out;
}

/** Train a config unless its run already finished. */
async function trainOnce(file: string): Promise<string> {
  const cfg = await loadConfigFile(join(CONFIGS, file), ExperimentConfig);
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

async function framing(): Promise<void> {
  const times: Record<string, number> = {};
  // both arms read the built-in `kind: native-shapes` dataset (the squares arm crops it): built once into the cache
  const native = await loadConfigFile(join(CONFIGS, 'framing-native.yaml'), ExperimentConfig);
  await timed('build native-shapes', times, () => resolveDataset(native.data.dataset, native.data.cacheDir));
  const runs = {
    native: await timed('train native', times, () => trainOnce('framing-native.yaml')),
    squares: await timed('train squares', times, () => trainOnce('framing-squares.yaml')),
  };
  const sizes: [number, number, number][] = [
    [4, 16, 32],
    [4, 32, 16],
    [4, 16, 16],
    [4, 24, 40], // seen by neither arm
  ];
  const result: Record<string, unknown> = { sizes, times };
  await fs.mkdir(IMG, { recursive: true });
  for (const [arm, dir] of Object.entries(runs)) {
    const run = await loadRun(dir);
    const perSize: Record<string, number> = {};
    for (const size of sizes) {
      const x = await timed(`sample ${arm} ${size.join('x')}`, times, () =>
        sampleClips(run.model, run.process!, run.condition!, {
          count: 16,
          clip: [...size, 3],
          classes: [0, 1, 2, 3],
          seed: 7,
        }),
      );
      const data = (await x.data()) as Float32Array;
      perSize[size.join('x')] = framingRate(data, x.shape);
      const k = 8;
      const clips: ClipArray = {
        data: data.slice(0, (k * data.length) / 16),
        shape: [k, ...x.shape.slice(1)] as ClipArray['shape'],
      };
      await writeGifGrid(join(IMG, `framing-${arm}-${size.join('x')}.gif`), clips, { cols: 4 });
      x.dispose();
    }
    result[arm] = { samples: perSize, real: await realFraming(run.cfg, 96) };
    tf.disposeVariables();
  }
  await writeJson('framing', result);
  log(JSON.stringify(result, null, 2));
}

async function captions(): Promise<void> {
  const times: Record<string, number> = {};
  const judgeDir = await timed('train sora-judge', times, () => trainOnce('judge.yaml'));
  const captionerDir = await timed('train sora-captioner', times, () => trainOnce('captioner.yaml'));
  const terseCfg = await loadConfigFile(join(CONFIGS, 't2v-terse.yaml'), ExperimentConfig);
  const recaptioned = 'data/sora/shapes-recaptioned';
  let agreement: number | null = null;
  if (!existsSync(join(recaptioned, 'index.json'))) {
    const source = await resolveDataset(terseCfg.data.dataset, terseCfg.data.cacheDir);
    const index = await timed('re-caption', times, () =>
      recaptionDataset({ captionerRun: captionerDir, dataset: source, out: recaptioned, log }),
    );
    agreement = index.agreement;
  }
  const runs = {
    terse: await timed('train terse', times, () => trainOnce('t2v-terse.yaml')),
    recaptioned: await timed('train recaptioned', times, () => trainOnce('t2v-recaptioned.yaml')),
  };
  const judge = await loadJudge(judgeDir);
  const holdout = (terseCfg.data.dataset as BuiltinDataset & { kind: 'synthetic' }).holdout;
  const refs = {
    'in-distribution': { kind: 'synthetic', count: 32, frames: 8, height: 16, width: 16, seed: 3, holdout },
    'held-out combinations': {
      kind: 'synthetic',
      count: 32,
      frames: 8,
      height: 16,
      width: 16,
      seed: 4,
      holdout,
      split: 'holdout',
    },
  } as const;
  const result: Record<string, unknown> = {
    times,
    recaptionAgreement: agreement,
    judge: (await readJson(join(judgeDir, 'summary.json')))['metrics'],
  };
  for (const [arm, dir] of Object.entries(runs)) {
    const arms: Record<string, unknown> = {};
    for (const [name, dataset] of Object.entries(refs)) {
      const score = await timed(`score ${arm} ${name}`, times, () =>
        scoreRun(dir, judge, {
          data: { dataset, batchSize: 16, transforms: FOUR_FRAMES },
          count: 32,
          caption: arm === 'terse' ? 'terse' : 'descriptive',
          seed: 5,
          stem: join(IMG, `captions-${arm}-${name.split(' ')[0]}`),
        }),
      );
      arms[name] = {
        accuracy: score.accuracy,
        frechet: score.frechet,
        examplePrompts: score.prompts.slice(0, 4),
      };
    }
    result[arm] = arms;
  }
  // the floor of the Fréchet distance: real clips against other real clips
  const { realFeatures, judgeFrechet } = await import('../../../eval/src/judge.js');
  const a = await realFeatures(
    judge,
    { dataset: refs['in-distribution'], batchSize: 16, transforms: FOUR_FRAMES },
    32,
  );
  const b = await realFeatures(
    judge,
    { dataset: { ...refs['in-distribution'], seed: 6 }, batchSize: 16, transforms: FOUR_FRAMES },
    32,
  );
  result['frechetRealVsReal'] = judgeFrechet(a, b);
  await writeJson('captions', result);
  log(JSON.stringify(result, null, 2));
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await fs.readFile(path, 'utf8')) as Record<string, unknown>;
}

export async function main(args: string[]): Promise<void> {
  await selectBackend({ override: 'wasm' });
  setSeed(0);
  const which = args[0];
  if (which === 'framing') await framing();
  else if (which === 'captions') await captions();
  else throw new Error('usage: ablations.ts framing|captions');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
