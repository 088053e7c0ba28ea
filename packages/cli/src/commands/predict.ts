/**
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
import { writeFileAtomic } from '@vtx/runs';

interface Args {
  model: string;
  weights: string;
  inputs: string;
  out: string;
  clip?: string;
  plugin: string[];
}

async function readTensors(path: string): Promise<NamedArrays> {
  return decodeSafetensors(new Uint8Array(await fs.readFile(path)), path).tensors;
}

export const predictCommand: CommandModule<object, Args> = {
  command: 'predict',
  describe: 'run one forward pass on tensors from a safetensors file (parity checks against PyTorch)',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'a preset name or a config file' })
      .option('weights', {
        type: 'string',
        demandOption: true,
        describe: 'safetensors weights (PyTorch or vtx names)',
      })
      .option('inputs', { type: 'string', demandOption: true, describe: 'safetensors inputs' })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'safetensors file for the output tensor `out`',
      })
      .option('clip', {
        type: 'string',
        describe: 'clip T,H,W,C the weights were made for (default: from the inputs)',
      })
      .option('plugin', pluginOption)
      .example(
        '$0 predict --model DiT-XL/2 --weights DiT-XL-2-256x256.safetensors --inputs in.safetensors --out out.safetensors',
        'an official DiT checkpoint',
      ),
  handler: async (argv) => {
    try {
      await importPlugins(argv.plugin);
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
    } catch (e) {
      report(e);
    }
  },
};
