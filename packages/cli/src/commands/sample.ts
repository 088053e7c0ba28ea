/** `vtx sample <run>`: generate clips from a trained diffusion run (DDPM/DDIM, guidance, class or caption). */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { CommandModule } from 'yargs';
import {
  startBackend,
  setMatmulPrecision,
  loadRun,
  type ExperimentConfig,
  patchProblem,
  toPixels,
  latentSourceOf,
} from '@vtx/train';
import { gridFrames, writeGifGrid, writePngSheet, type ClipArray } from '@vtx/media';
import { builtinDir, type DatasetIndex } from '@vtx/data';
import {
  modelPatch,
  sampleConditions,
  type ClipShape,
  type Condition,
  type NoiseProcess,
  type SamplerName,
} from '@vtx/models';
import { UsageError, guidanceIntervalFlag, guidanceIntervalOption, report } from './common.js';
import {
  checkPromptFlags,
  checkPromptRun,
  promptOf,
  promptMode,
  promptOptions,
  promptTensors,
  samplePrompted,
  type PromptArgs,
} from './sample-prompt.js';

interface Args extends PromptArgs {
  run: string;
  count: number;
  size: string[];
  steps?: string;
  sampler?: SamplerName;
  cfgScale?: number;
  guidanceInterval?: number[];
  class: number[];
  caption: string[];
  seed: number;
  out?: string;
  weights: 'ema' | 'live';
  mp4: boolean;
}

export const sampleCommand: CommandModule<object, Args> = {
  command: 'sample <run>',
  describe:
    'generate clips from a trained diffusion run; writes a GIF grid, a PNG contact sheet (and MP4 with ffmpeg)',
  builder: (y) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'run directory' })
      .option('count', { type: 'number', default: 8, requiresArg: true })
      .option('size', {
        type: 'string',
        array: true,
        default: [],
        describe:
          "model-input size T,H,W to sample at, one or more (default: the run's training clip); for a latent run " +
          'the latent size (a VAE with factors 2x4x4 decodes 4,8,8 to 8x32x32 pixels); each a multiple of the ' +
          "model's patch. Several sizes write one GIF/PNG each, <out>-TxHxW",
      })
      .option('steps', {
        type: 'string',
        describe: "sampling steps / respacing, e.g. 50 or ddim25 (default: the config's)",
      })
      .option('sampler', {
        choices: ['ddpm', 'ddim', 'euler'] as const,
        describe: "default: the config's (a Gaussian run: ddpm or ddim; a rectified-flow run: euler)",
      })
      .option('cfg-scale', {
        type: 'number',
        requiresArg: true,
        describe: 'classifier-free guidance scale (1 = none)',
      })
      .option('guidance-interval', guidanceIntervalOption)
      .option('class', {
        type: 'number',
        array: true,
        default: [],
        describe: "class labels to sample (cycled; default each of the run's classes in turn)",
      })
      .option('caption', {
        type: 'string',
        array: true,
        default: [],
        describe: 'captions to sample (cycled)',
      })
      .option('seed', { type: 'number', default: 0, requiresArg: true })
      .check(checkNumbers)
      .option('out', {
        type: 'string',
        describe:
          'output file stem (default <run>/samples/sample-<seed>, with a prompt sample-<seed>-<mode>, e.g. ' +
          'sample-0-extend-backward); with --size, -TxHxW is appended (unless --out and one size)',
      })
      .option('weights', { choices: ['ema', 'live'] as const, default: 'ema' as const })
      .option('mp4', { type: 'boolean', default: true, describe: 'also write an MP4 when ffmpeg is on PATH' })
      .options(promptOptions)
      .check(checkPromptFlags)
      .example(
        '$0 sample runs/default --class 0 1 2 3 --steps 50 --cfg-scale 2',
        'guided samples of four classes (50 Euler steps for a rectified-flow run, 50 DDIM steps for a Gaussian one)',
      )
      .example(
        '$0 sample runs/default --cfg-scale 6 --guidance-interval 0.1 0.9',
        'guidance 6 at noise levels t/T from 0.1 to 0.9 only, the conditional model elsewhere',
      )
      .example(
        '$0 sample runs/native-sizes --size 4,24,40 8,16,32',
        'samples at sizes the run did not train on (sample-0-4x24x40.gif, sample-0-8x16x32.gif)',
      )
      .example(
        '$0 sample runs/video-dit-frames --extend clip.gif --frames 12',
        "clip.gif's last frames continued to 12 frames, 3x the training clip (a frame-conditioned run)",
      )
      .example(
        '$0 sample runs/default --edit clip.mp4 --strength 0.5 --class 1',
        'SDEdit: clip.mp4 (its first 4 frames at 16x16) noised halfway and redrawn as class 1 (sample-0-edit.*)',
      ),
  handler: async (argv) => {
    try {
      await startBackend();
      const run = await loadRun(argv.run, { weights: argv.weights });
      await setMatmulPrecision(run.cfg.matmulPrecision); // sample with the GEMM the run trained with
      if (!run.condition || !run.process)
        throw new UsageError(
          `${argv.run} is a classifier (${run.cfg.model.kind}); only diffusion runs sample`,
        );
      checkSamplerFlags(run.process, argv);
      checkConditionFlags(run.condition, argv, argv.run);
      const names = await classNames(run.cfg);
      const sizes = argv.size.map((v) => parseSize(v, run.clip, run.cfg.model, argv.run));
      const mode = promptMode(argv);
      const latent = sizes.length > 0 && (await latentSourceOf(run.cfg)) !== null;
      if (mode) checkPromptRun(mode, run.cfg, argv.run);
      const prompt = mode ? await promptOf(mode, argv, run.cfg, run.clip) : {};
      const written: string[] = [];
      for (const clip of sizes.length ? sizes : [run.clip]) {
        const latents = await samplePrompted(run.model, run.process, run.condition, prompt, {
          count: argv.count,
          clip,
          classes: argv.class,
          captions: argv.caption,
          seed: argv.seed,
          ...(argv.steps ? { steps: argv.steps } : {}),
          ...(argv.sampler ? { sampler: argv.sampler } : {}),
          ...(argv.cfgScale !== undefined ? { cfgScale: argv.cfgScale } : {}),
          ...(argv.guidanceInterval !== undefined
            ? { guidanceInterval: guidanceIntervalFlag(argv.guidanceInterval)! }
            : {}),
        });
        const x = await toPixels(run.cfg, latents); // a latent run decodes through the VAE its dataset names
        const clips: ClipArray = {
          data: (await x.data()) as Float32Array,
          shape: x.shape as ClipArray['shape'],
        };
        x.dispose();
        // with --size the file names say the size, unless --out names the one set of files
        const size = clip.slice(0, 3).join('x');
        const base =
          argv.out ??
          join(
            argv.run,
            'samples',
            `sample-${argv.seed}${mode ? `-${mode}` : ''}${argv.backward ? '-backward' : ''}`,
          );
        const named = sizes.length > 1 || (sizes.length === 1 && argv.out === undefined);
        const stem = named ? `${base}-${size}` : base;
        await writeGifGrid(`${stem}.gif`, clips);
        await writePngSheet(`${stem}.png`, clips, { labels: rowLabels(run.condition, argv, names) });
        written.push(`${stem}.gif`, `${stem}.png`);
        if (argv.mp4 && writeMp4(`${stem}.mp4`, clips)) written.push(`${stem}.mp4`);
        if (latent && sizes.length)
          process.stderr.write(`${size} latents decoded to ${clips.shape.slice(1, 4).join('x')} pixels\n`);
      }
      tf.dispose(promptTensors(prompt));
      process.stdout.write(`${written.join('\n')}\n`);
    } catch (e) {
      report(e);
    } finally {
      tf.disposeVariables();
    }
  },
};

/** The flags that must be numbers (yargs gives NaN for `--count x`): usage errors naming the flag. */
function checkNumbers(argv: Pick<Args, 'count' | 'seed' | 'cfgScale' | 'guidanceInterval' | 'class'>): true {
  const bad = (flag: string, value: unknown, want: string) => {
    throw new Error(`--${flag} ${String(value)}: expected ${want}`);
  };
  if (!Number.isInteger(argv.count) || argv.count < 1) bad('count', argv.count, 'a positive integer');
  if (!Number.isInteger(argv.seed) || argv.seed < 0) bad('seed', argv.seed, 'a non-negative integer');
  if (argv.cfgScale !== undefined && !(Number.isFinite(argv.cfgScale) && argv.cfgScale >= 0))
    bad('cfg-scale', argv.cfgScale, 'a number >= 0 (1 = no guidance)');
  guidanceIntervalFlag(argv.guidanceInterval);
  for (const c of argv.class) if (!Number.isInteger(c) || c < 0) bad('class', c, 'class labels 0, 1, 2, …');
  return true;
}

/**
 * `--class` and `--caption` against the run's conditioning: a label past the model's classes (the last one, numClasses,
 * is classifier-free guidance's null class), a caption for a class model or a label for a caption model are usage
 * errors naming the flag.
 */
function checkConditionFlags(cond: Condition, argv: Pick<Args, 'class' | 'caption'>, runDir: string): void {
  const what =
    cond.kind === 'class'
      ? `class-conditional (${cond.numClasses} classes)`
      : cond.kind === 'caption'
        ? 'caption-conditioned'
        : 'unconditional';
  if (argv.class.length && cond.kind !== 'class')
    throw new UsageError(
      `--class: ${runDir} is ${what}; it samples${cond.kind === 'caption' ? ' --caption' : ''} only`,
    );
  if (argv.caption.length && cond.kind !== 'caption')
    throw new UsageError(
      `--caption: ${runDir} is ${what}; it samples${cond.kind === 'class' ? ' --class' : ''} only`,
    );
  if (cond.kind !== 'class') return;
  const past = argv.class.find((c) => c >= cond.numClasses);
  if (past !== undefined)
    throw new UsageError(
      `--class ${past}: ${runDir} has ${cond.numClasses} classes, 0 to ${cond.numClasses - 1}` +
        (past === cond.numClasses ? ` (${past} is the null class of classifier-free guidance)` : ''),
    );
}

/**
 * The class names of a run's training data (its index.json's labels), when its dataset directory is there; null for
 * a dataset not built on this machine.
 */
async function classNames(cfg: ExperimentConfig): Promise<string[] | null> {
  const ds = cfg.data.dataset;
  const dir = typeof ds === 'string' ? ds : builtinDir(ds, cfg.data.cacheDir);
  try {
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as Partial<DatasetIndex>;
    return index.labels?.names ?? null;
  } catch {
    return null;
  }
}

/** Each sample's label for the contact sheet: `class 2 (circle-left)` or its caption; undefined when unconditional. */
function rowLabels(
  cond: Condition,
  argv: Pick<Args, 'count' | 'class' | 'caption'>,
  names: string[] | null,
): string[] | undefined {
  const { labels, captions } = sampleConditions(cond, argv.count, {
    classes: argv.class,
    captions: argv.caption,
  });
  if (labels) return labels.map((c) => `class ${c}${names?.[c] ? ` (${names[c]})` : ''}`);
  return captions?.map((c) => (c ? c : '(empty caption)'));
}

/**
 * `--steps` and `--sampler` against the run's noise process, before any sampling: a usage error (exit 2) naming the
 * flag, by the rule the process's config and `sampleClips` apply (`process.samplerMismatch`).
 */
function checkSamplerFlags(process: NoiseProcess, argv: Pick<Args, 'steps' | 'sampler'>): void {
  const mismatch = process.samplerMismatch({
    ...(argv.steps ? { samplingSteps: argv.steps } : {}),
    ...(argv.sampler ? { sampler: argv.sampler } : {}),
  });
  if (!mismatch) return;
  const flag = mismatch.key === 'sampler' ? 'sampler' : 'steps';
  throw new UsageError(`--${flag} ${argv[flag]}: ${mismatch.message}`);
}

/**
 * `--size T,H,W` (also TxHxW) -> the clip (T, H, W, C of the run's clip), checked against the model's patch: a size it
 * does not divide is a usage error that names the patch and the nearest sizes that work.
 */
export function parseSize(
  value: string,
  runClip: ClipShape,
  model: Parameters<typeof patchProblem>[0],
  runDir: string,
): ClipShape {
  const parts = value.split(/[,x]/).map((v) => Number(v.trim()));
  if (parts.length !== 3 || !parts.every((n) => Number.isInteger(n) && n > 0))
    throw new UsageError(`--size ${value}: expected T,H,W (frames, height, width), positive integers`);
  const clip: ClipShape = [parts[0]!, parts[1]!, parts[2]!, runClip[3]];
  const problem = patchProblem(model, clip);
  if (problem) {
    const p = modelPatch(model);
    const near = p
      ? ` (e.g. ${[Math.floor, Math.ceil]
          .map((round) => clip.slice(0, 3).map((n, a) => Math.max(1, round(n / p.patch[a]!)) * p.patch[a]!))
          .map((c) => c.join(','))
          .filter((c, i, all) => all.indexOf(c) === i)
          .join(' or ')})`
      : '';
    throw new UsageError(`--size ${value}: ${problem} of ${runDir}; a size must be a multiple of it${near}`);
  }
  return clip;
}

/** Encode the clip grid as H.264 MP4 with the ffmpeg CLI; false when ffmpeg is not installed. */
function writeMp4(path: string, clips: ClipArray): boolean {
  const { frames, width, height } = gridFrames(clips);
  const w = width - (width % 2);
  const h = height - (height % 2);
  const raw = Buffer.concat(
    frames.map((f) => {
      const out = Buffer.alloc(w * h * 4);
      for (let y = 0; y < h; y++) out.set(f.subarray(y * width * 4, y * width * 4 + w * 4), y * w * 4);
      return out;
    }),
  );
  const args = [
    '-y',
    '-loglevel',
    'error',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgba',
    '-s',
    `${w}x${h}`,
    '-r',
    '8',
    '-i',
    '-',
    '-pix_fmt',
    'yuv420p',
    path,
  ];
  const r = spawnSync(process.env['FFMPEG_PATH'] ?? 'ffmpeg', args, { input: raw });
  return r.status === 0;
}
