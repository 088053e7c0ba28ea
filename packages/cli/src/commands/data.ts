/**
 * `vtx data ...`: the yargs command module of the vtx CLI, calling @vtx/data's builders and inspection.
 *
 *   vtx data build synthetic <out> [--count 512 --frames 8 --height 32 --width 32 --seed 0 --holdout '[{"shape":"circle","colour":"red"}]' --split train --only '{"size":["large"]}']
 *   vtx data build native-shapes <out> [--count 384 --sizes 8x16x32,8x32x16,8x16x16 --seed 0 --holdout '[...]' --split train --only '{...}']
 *   vtx data build moving-mnist <out> [--count 1000 --frames 20 --size 64 --digits 2 --seed 0]
 *   vtx data build videos <input> <out> [--height 64 --width 64 --fps 8 --stride 1 --frames 16 --clip-stride 16 --max-clips 4 --on-error skip]
 *   vtx data build frames <input> <out> [--height 64 --width 64 --fps 8 --max-frames 32 --on-error skip]
 *   vtx data inspect <dataset> [--json] [--sheet sheet.png|sheet.gif] [--sheet-clips 8]
 *
 * Exit codes are the vtx CLI's (it reports what a handler throws): a flag that does not parse or a set of options
 * the builder's spec rejects is a usage error (yargs' own, checked before the handler: exit 2); bad input data
 * (DataError, naming the file and row) exits 1, with no stack trace.
 */
import type { Argv, CommandModule } from 'yargs';
import { z } from 'zod';

import {
  buildFromFrames,
  buildMovingMnist,
  buildNativeShapes,
  buildSynthetic,
  buildFromVideos,
  FramesSpec,
  MovingMnistSpec,
  NativeShapesSpec,
  SyntheticSpec,
  VideoSpec,
  type BuildOptions,
  type DatasetIndex,
  formatSummary,
  inspectDataset,
} from '@vtx/data';

type Args = Record<string, unknown>;

/**
 * A yargs check that the options make a valid builder spec: invalid ones are a usage error naming each option
 * (thrown inside `.check`, yargs reports it as such), before any file is written.
 */
function validSpec(schema: z.ZodType, spec: (argv: Args) => unknown): (argv: Args) => true {
  return (argv) => {
    const r = schema.safeParse(spec(argv));
    if (!r.success) throw new Error(`invalid options:\n${z.prettifyError(r.error)}`);
    return true;
  };
}

/**
 * A builder flag's help from its spec: the key's description (zod `.describe`) and default, so `--help` and the
 * spec say one thing. `key` is the spec's name for the flag.
 */
function specHelp(schema: z.ZodObject, key: string): { describe: string } {
  const field = schema.shape[key] as z.ZodType | undefined;
  const def = field?._zod.def as { type: string; defaultValue?: unknown } | undefined;
  const fallback = def?.type === 'default' ? ` (default ${String(def.defaultValue)})` : '';
  return { describe: `${field?.description ?? ''}${fallback}`.trim() };
}

/** Keep only the options the user gave (so schema defaults apply to the rest). */
function pick(argv: Args, keys: Record<string, string>): Args {
  const out: Args = {};
  for (const [flag, key] of Object.entries(keys)) if (argv[flag] !== undefined) out[key] = argv[flag];
  return out;
}

function progress(): BuildOptions {
  if (!process.stderr.isTTY) return {};
  let last = 0;
  return {
    onProgress: (done, total) => {
      const now = Date.now();
      if (now - last < 200 && done !== total) return;
      last = now;
      process.stderr.write(`\r  ${done}${total === null ? '' : `/${total}`}${done === total ? '\n' : ''}`);
    },
  };
}

function report(out: string, ix: DatasetIndex): void {
  const skipped = ix.skipped.length
    ? `; skipped ${ix.skipped.length}: ${ix.skipped.map((s) => `${s.source} (${s.reason})`).join('; ')}`
    : '';
  process.stdout.write(`built ${out}: ${ix.rows} clips in ${ix.shards.length} shard(s)${skipped}\n`);
}

const shared = (y: Argv) =>
  y.option('name', { type: 'string', describe: 'dataset name (shard file prefix)' }).option('max-shard-mb', {
    type: 'number',
    describe: 'shard size target in MiB of clip data',
    default: 256,
  });

const opts = (argv: Args): BuildOptions => ({
  ...progress(),
  maxShardBytes: Number(argv['max-shard-mb'] ?? 256) * 2 ** 20,
});

/** The synthetic builder's spec from its flags (only those given: the schema's defaults apply to the rest). */
const syntheticSpec = (argv: Args) => ({
  kind: 'synthetic',
  ...pick(argv, {
    name: 'name',
    count: 'count',
    frames: 'frames',
    height: 'height',
    width: 'width',
    seed: 'seed',
    split: 'split',
    holdout: 'holdout',
    only: 'only',
  }),
});

const synthetic: CommandModule = {
  command: 'synthetic <out>',
  describe: 'bouncing shapes: motion-class labels, attributes, descriptive + terse captions',
  builder: (y) =>
    attributes(shared(y))
      .positional('out', { type: 'string', demandOption: true })
      .option('count', { type: 'number' })
      .option('frames', { type: 'number' })
      .option('height', { type: 'number' })
      .option('width', { type: 'number' })
      .option('seed', { type: 'number' })
      .check(validSpec(SyntheticSpec, syntheticSpec)),
  handler: async (argv: Args) =>
    report(
      String(argv.out),
      await buildSynthetic(String(argv.out), syntheticSpec(argv) as never, opts(argv)),
    ),
};

/** A flag holding JSON (`--holdout`, `--only`): parsed by yargs, so text that is not JSON is a usage error. */
const jsonFlag = (flag: string) => (text: string) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`--${flag}: '${text}' is not JSON`);
  }
};

/** The shapes kinds' attribute flags: `--holdout` patterns, `--split` and `--only` values. */
const attributes = (y: Argv) =>
  y
    .option('holdout', {
      type: 'string',
      describe: 'JSON list of held-out attribute patterns',
      coerce: jsonFlag('holdout'),
    })
    .option('split', { choices: ['train', 'holdout'] })
    .option('only', {
      type: 'string',
      describe: 'JSON: draw attributes from these values, e.g. {"size":["large"]}',
      coerce: jsonFlag('only'),
    });

/** `8x16x32,8x32x16` or JSON `[[8,16,32],[8,32,16]]` -> [[8, 16, 32], [8, 32, 16]] (the spec validates the numbers). */
function parseSizes(text: string): unknown {
  const s = text.trim();
  if (s.startsWith('[')) {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      throw new Error(`--sizes: '${text}' is not JSON; write 8x16x32,8x32x16 or [[8,16,32],[8,32,16]]`);
    }
  }
  return s.split(',').map((size) => {
    const parts = size.trim().split('x');
    if (parts.length !== 3 || parts.some((p) => !/^\d+$/.test(p)))
      throw new Error(`--sizes: '${size.trim()}' is not FRAMESxHEIGHTxWIDTH (e.g. 8x16x32)`);
    return parts.map(Number);
  });
}

const nativeShapesSpec = (argv: Args) => ({
  kind: 'native-shapes',
  ...pick(argv, {
    name: 'name',
    count: 'count',
    seed: 'seed',
    split: 'split',
    sizes: 'sizes',
    holdout: 'holdout',
    only: 'only',
  }),
});

const nativeShapes: CommandModule = {
  command: 'native-shapes <out>',
  describe:
    'the bouncing shapes at several sizes (clip i has size i mod |sizes|): native resolutions and aspects',
  builder: (y) =>
    attributes(shared(y))
      .positional('out', { type: 'string', demandOption: true })
      .option('count', { type: 'number' })
      .option('sizes', {
        type: 'string',
        describe: 'FRAMESxHEIGHTxWIDTH,... (default 8x16x32,8x32x16,8x16x16)',
        coerce: parseSizes,
      })
      .option('seed', { type: 'number' })
      .check(validSpec(NativeShapesSpec, nativeShapesSpec)),
  handler: async (argv: Args) =>
    report(
      String(argv.out),
      await buildNativeShapes(String(argv.out), nativeShapesSpec(argv) as never, opts(argv)),
    ),
};

const movingMnistSpec = (argv: Args) => ({
  kind: 'moving-mnist',
  ...pick(argv, {
    name: 'name',
    count: 'count',
    frames: 'frames',
    size: 'size',
    digits: 'digits',
    seed: 'seed',
  }),
});

const movingMnist: CommandModule = {
  command: 'moving-mnist <out>',
  describe: 'Moving MNIST (Srivastava et al. 2015): 64x64, 20 frames, 2 digits by default',
  builder: (y) =>
    shared(y)
      .positional('out', { type: 'string', demandOption: true })
      .option('count', { type: 'number' })
      .option('frames', { type: 'number' })
      .option('size', { type: 'number' })
      .option('digits', { type: 'number' })
      .option('seed', { type: 'number' })
      .check(validSpec(MovingMnistSpec, movingMnistSpec)),
  handler: async (argv: Args) =>
    report(
      String(argv.out),
      await buildMovingMnist(String(argv.out), movingMnistSpec(argv) as never, opts(argv)),
    ),
};

/** What the builders that read files (videos, frames) share: input and output, frame size and fps. */
const fromFiles = (y: Argv, spec: z.ZodObject) =>
  shared(y)
    .positional('input', { type: 'string', demandOption: true, ...specHelp(spec, 'input') })
    .positional('out', { type: 'string', demandOption: true, describe: 'the dataset directory to write' })
    .option('height', { type: 'number', ...specHelp(spec, 'height') })
    .option('width', { type: 'number', ...specHelp(spec, 'width') })
    .option('resize', { choices: ['crop', 'stretch'], ...specHelp(spec, 'resize') })
    .option('fps', { type: 'number', ...specHelp(spec, 'fps') })
    .option('on-error', { choices: ['skip', 'fail'], ...specHelp(spec, 'onError') });

/** The spec of a file builder: its `fromFiles` options, `--on-error` and its own `options` (flag: key), as given. */
const fileSpec = (kind: string, options: Record<string, string>) => (argv: Args) => ({
  kind,
  input: argv.input,
  ...pick(argv, {
    name: 'name',
    height: 'height',
    width: 'width',
    resize: 'resize',
    fps: 'fps',
    'on-error': 'onError',
    ...options,
  }),
});

const videoSpec = fileSpec('videos', {
  stride: 'stride',
  frames: 'frames',
  'clip-stride': 'clipStride',
  'max-clips': 'maxClipsPerVideo',
  concurrency: 'concurrency',
  ffmpeg: 'ffmpeg',
});

const videos: CommandModule = {
  command: 'videos <input> <out>',
  describe:
    'video files (folder with class subfolders, or a CSV/JSONL manifest path,label[,caption]) via ffmpeg',
  builder: (y) =>
    fromFiles(y, VideoSpec)
      .option('stride', { type: 'number', ...specHelp(VideoSpec, 'stride') })
      .option('frames', { type: 'number', ...specHelp(VideoSpec, 'frames') })
      .option('clip-stride', { type: 'number', ...specHelp(VideoSpec, 'clipStride') })
      .option('max-clips', { type: 'number', ...specHelp(VideoSpec, 'maxClipsPerVideo') })
      .option('concurrency', { type: 'number', ...specHelp(VideoSpec, 'concurrency') })
      .option('ffmpeg', { type: 'string', ...specHelp(VideoSpec, 'ffmpeg') })
      .check(validSpec(VideoSpec, videoSpec)),
  handler: async (argv: Args) =>
    report(String(argv.out), await buildFromVideos(String(argv.out), videoSpec(argv) as never, opts(argv))),
};

const framesSpec = fileSpec('frames', { 'max-frames': 'maxFrames' });

const frames: CommandModule = {
  command: 'frames <input> <out>',
  describe: 'folders of PNG/JPEG frames, one per clip (class subfolders or a manifest)',
  builder: (y) =>
    fromFiles(y, FramesSpec)
      .option('max-frames', { type: 'number', ...specHelp(FramesSpec, 'maxFrames') })
      .check(validSpec(FramesSpec, framesSpec)),
  handler: async (argv: Args) =>
    report(String(argv.out), await buildFromFrames(String(argv.out), framesSpec(argv) as never, opts(argv))),
};

const build: CommandModule = {
  command: 'build',
  describe: 'build an Arrow video dataset',
  builder: (y) =>
    y
      .command(synthetic)
      .command(nativeShapes)
      .command(movingMnist)
      .command(videos)
      .command(frames)
      .demandCommand(1, 'name a builder'),
  handler: () => undefined,
};

const inspect: CommandModule = {
  command: 'inspect <dataset>',
  describe: 'counts, shapes, label histogram, size on disk, and a contact sheet',
  builder: (y) =>
    y
      .positional('dataset', { type: 'string', demandOption: true })
      .option('json', { type: 'boolean', default: false })
      .option('sheet', {
        type: 'string',
        describe: 'write a contact sheet (.png frame grid or .gif animation)',
      })
      .option('sheet-clips', { type: 'number', default: 8 })
      .option('verify', { type: 'boolean', default: true, describe: 'check shard checksums' }),
  handler: async (argv: Args) => {
    const s = await inspectDataset(String(argv.dataset), {
      verify: argv.verify !== false,
      ...(argv.sheet === undefined ? {} : { sheet: argv.sheet as string }),
      sheetClips: Number(argv['sheet-clips'] ?? 8),
    });
    process.stdout.write(argv.json ? `${JSON.stringify(s, null, 2)}\n` : `${formatSummary(s)}\n`);
  },
};

/** `vtx data <build|inspect>`: mount with `yargs().command(dataCommand)`. */
export const dataCommand: CommandModule = {
  command: 'data',
  describe: 'build and inspect Arrow video datasets',
  builder: (y) =>
    y.command(build).command(inspect).demandCommand(1, 'use: data build <kind> ... | data inspect <dataset>'),
  handler: () => undefined,
};
