/**
 * `vtx predict RUN --video F | --image F` classifies a file with a trained classifier run (./predict-run.ts).
 *
 * `vtx predict --model <name|config> --weights W.safetensors --inputs I.safetensors --out O.safetensors`: one
 * forward pass on tensors from a file, to check parity against a PyTorch run. With PyTorch-named weights (official
 * DiT or timm ViT checkpoints) inputs and outputs use the reference layouts (DiT: x N,C,H,W, t and y (N,), output
 * N,2C,H,W; ViT: x N,C,H,W, logits); with vtx-named weights they use vtx's (x N,T,H,W,C).
 */
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { CommandModule } from 'yargs';
import { startBackend, namedParams, importPlugins } from '@vtx/train';
import { decodeSafetensors, encodeSafetensors, type NamedArrays } from '@vtx/core';
import { buildModel, importPyTorchWeights, predictPyTorchLayout } from '@vtx/models';
import { UsageError, parseClip, report, resolveModel } from './common.js';
import { pluginOption } from './plugin-option.js';
import { predictRun } from './predict-run.js';
import { writeFileAtomic } from '@vtx/runs';

interface Args {
  run?: string;
  video?: string;
  image?: string;
  top?: number;
  fps?: number;
  json: boolean;
  model?: string;
  weights?: string;
  inputs?: string;
  out?: string;
  clip?: string;
  plugin: string[];
}

type ParityArgs = Required<Pick<Args, 'model' | 'weights' | 'inputs' | 'out'>> & Pick<Args, 'clip'>;

const PARITY_FLAGS = ['model', 'weights', 'inputs', 'out', 'clip'] as const;
const RUN_FLAGS = ['video', 'image', 'top', 'fps'] as const;

/** The mode the arguments select (a RUN: classify a file; none: the parity check), or a usage error naming the flag. */
function mode(argv: Args): { run: string } | { parity: ParityArgs } {
  if (argv.run !== undefined) {
    const stray = PARITY_FLAGS.find((k) => argv[k] !== undefined);
    if (stray)
      throw new UsageError(
        `--${stray} belongs to the parity check (vtx predict --model M --weights W --inputs I --out O, no RUN); ` +
          `vtx predict ${argv.run} classifies a file: --video FILE or --image FILE`,
      );
    return { run: argv.run };
  }
  const stray = RUN_FLAGS.find((k) => argv[k] !== undefined) ?? (argv.json ? 'json' : undefined);
  if (stray)
    throw new UsageError(
      `--${stray} needs a classifier run: vtx predict RUN --${stray === 'image' ? 'image' : 'video'} FILE`,
    );
  const missing = (['model', 'weights', 'inputs', 'out'] as const).filter((k) => argv[k] === undefined);
  if (missing.length > 0)
    throw new UsageError(
      `${missing.map((k) => `--${k}`).join(', ')} missing: the parity check needs --model, --weights, --inputs ` +
        `and --out (or give a RUN to classify a file: vtx predict RUN --video FILE)`,
    );
  return { parity: argv as ParityArgs };
}

async function readTensors(path: string): Promise<NamedArrays> {
  return decodeSafetensors(new Uint8Array(await fs.readFile(path)), path).tensors;
}

export const predictCommand: CommandModule<object, Args> = {
  command: 'predict [run]',
  describe:
    'classify a video or image with a trained ViT/ViViT run (RUN --video F); without RUN, one forward pass on tensors from a safetensors file (PyTorch parity)',
  builder: (y) =>
    y
      .positional('run', {
        type: 'string',
        describe: 'a classifier run directory: classify --video or --image with it',
      })
      .option('video', {
        type: 'string',
        describe: "with RUN: a video file (ffmpeg), read at the run's evaluation size and views",
      })
      .option('image', {
        type: 'string',
        describe: 'with RUN: a PNG or JPEG, as a clip of one repeated frame',
      })
      .option('top', { type: 'number', describe: 'with RUN: how many classes to print (default 5)' })
      .option('fps', {
        type: 'number',
        describe: "with RUN: resample the video to this frame rate (default: the video's own)",
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe:
          'with RUN: one JSON object (file, run, step, views, crops, top: [{class, name, probability}])',
      })
      .option('model', { type: 'string', describe: 'parity check: a preset name or a config file' })
      .option('weights', {
        type: 'string',
        describe: 'parity check: safetensors weights (PyTorch or vtx names)',
      })
      .option('inputs', { type: 'string', describe: 'parity check: safetensors inputs' })
      .option('out', {
        type: 'string',
        describe: 'parity check: safetensors file for the output tensor `out`',
      })
      .option('clip', {
        type: 'string',
        describe: 'parity check: clip T,H,W,C the weights were made for (default: from the inputs)',
      })
      .option('plugin', pluginOption)
      .example('$0 predict runs/vivit-factorised-encoder --video clip.mp4', 'the top-5 classes of a video')
      .example('$0 predict runs/vit-tiny --image digit.png --top 3 --json', 'the top 3 as JSON')
      .example(
        '$0 predict --model DiT-XL/2 --weights DiT-XL-2-256x256.safetensors --inputs in.safetensors --out out.safetensors',
        'an official DiT checkpoint',
      ),
  handler: async (argv) => {
    try {
      const m = mode(argv);
      await importPlugins(argv.plugin);
      if ('run' in m) {
        const { video, image, fps, json } = argv;
        await predictRun({ run: m.run, video, image, fps, json, top: argv.top ?? 5 });
        return;
      }
      await parity(m.parity);
    } catch (e) {
      report(e);
    }
  },
};

/** One forward pass on tensors from a file, written to `--out`. */
async function parity(argv: ParityArgs): Promise<void> {
  await startBackend();
  const weights = await readTensors(argv.weights);
  const inputs = await readTensors(argv.inputs);
  const x = inputs['x'];
  if (!x) throw new UsageError(`${argv.inputs}: no tensor 'x'`);
  const pytorch = Object.keys(weights).some((k) => k.endsWith('.weight'));
  // the clip size from the input: (N, C, H, W) for PyTorch layouts, (N, T, H, W, C) for vtx's
  const fromInput = pytorch
    ? ([1, x.shape[2]!, x.shape[3]!, x.shape[1]!] as const)
    : (x.shape.slice(1) as [number, number, number, number]);
  const resolved = await resolveModel(argv.model, parseClip(argv.clip) ?? [...fromInput]);
  const { model: cfg, clip } = resolved;
  const model = buildModel(cfg, clip, resolved.process);
  let out: NamedArrays;
  if (pytorch) {
    importPyTorchWeights(model, cfg, weights, clip);
    out = predictPyTorchLayout(model, cfg, inputs);
  } else {
    for (const p of namedParams(model)) {
      const w = weights[p.name];
      if (!w) throw new UsageError(`${argv.weights}: no tensor '${p.name}'`);
      p.variable.assign(tf.tensor(w.data, w.shape, 'float32'));
    }
    const xs = model.inputs.map((input) => {
      const name = input.name.replace(/_\d+$/, '');
      const t = inputs[name];
      if (!t)
        throw new UsageError(
          `${argv.inputs}: no tensor '${name}' (the model's inputs: ${model.inputs.map((i) => i.name).join(', ')})`,
        );
      return tf.tensor(Float32Array.from(t.data), name === 'x' ? t.shape : [t.shape[0]!, -1]);
    });
    const y = model.apply(xs.length === 1 ? xs[0]! : xs, { training: false }) as tf.Tensor;
    out = { out: { shape: y.shape, data: (await y.data()) as Float32Array } };
  }
  await writeFileAtomic(argv.out, encodeSafetensors(out));
  process.stdout.write(`${argv.out}: out [${out['out']!.shape.join(', ')}]\n`);
}
