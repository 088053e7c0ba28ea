/** `vtx info <model|config>`: parameters, tokens, Gflops and activation memory for a clip size, without allocating weights. */
import type { CommandModule } from 'yargs';
import { modelCost, modelName } from '@vtx/models';
import { importPlugins } from '../plugins.js';
import { parseClip, report, resolveModel } from './common.js';
import { pluginOption } from './plugin-option.js';

interface Args {
  model: string;
  clip?: string;
  plugin: string[];
  batch: number;
  json: boolean;
}

const fmt = (n: number) => n.toLocaleString('en-US');

export const infoCommand: CommandModule<object, Args> = {
  command: 'info <model>',
  describe: 'parameters, tokens, Gflops and activation memory of a model (a preset name or a config file)',
  builder: (y) =>
    y
      .positional('model', {
        type: 'string',
        demandOption: true,
        describe: 'a preset (DiT-XL/2, ViT-B/16, ViViT-B/16x2-FE, …) or a YAML config',
      })
      .option('clip', {
        type: 'string',
        describe: 'clip size T,H,W,C (or H,W,C); default the preset / config size',
      })
      .option('batch', {
        type: 'number',
        default: 1,
        describe: 'batch size for the activation-memory estimate',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .option('plugin', pluginOption)
      .example('$0 info DiT-XL/2', 'DiT-XL/2 at 256 px (32x32x4 latents): 675,129,632 params, 118.6 Gflops')
      .example('$0 info ViT-B/16 --clip 384,384,3', 'ViT-B/16 at 384 px')
      .example('$0 info configs/vivit-tiny.yaml --json', 'the model of an experiment config')
      .example(
        '$0 info examples/new-model/my-model.yaml',
        'a model kind added by a plugin (listed under plugins:, or given with --plugin)',
      ),
  handler: async (argv) => {
    try {
      await importPlugins(argv.plugin);
      const { model, clip, source } = await resolveModel(argv.model, parseClip(argv.clip));
      const c = modelCost(model, clip);
      const info = {
        model: modelName(model),
        source,
        clip,
        params: c.params + c.fixedParams,
        trainableParams: c.params,
        fixedParams: c.fixedParams,
        tokens: c.tokens,
        gflops: +c.gflops.toFixed(4),
        trainGflopsPerSample: +c.trainGflops.toFixed(4),
        activationMB: +((c.activationBytes * argv.batch) / 2 ** 20).toFixed(1),
        batch: argv.batch,
      };
      if (argv.json) {
        process.stdout.write(`${JSON.stringify(info)}\n`);
        return;
      }
      process.stdout.write(
        [
          `${info.model}  (${source})`,
          `  clip            ${clip.join(' x ')}  (T x H x W x C)`,
          `  parameters      ${fmt(info.params)}${c.fixedParams ? `  (${fmt(c.fixedParams)} fixed: sin-cos pos_embed)` : ''}`,
          `  tokens          ${fmt(info.tokens)}`,
          `  forward Gflops  ${info.gflops}  (multiply-adds, DiT's convention)`,
          `  train Gflops    ${info.trainGflopsPerSample} per sample (~3x forward)`,
          `  activations     ~${info.activationMB} MB at batch ${argv.batch} (float32, kept for backward; estimate)`,
          '',
        ].join('\n'),
      );
    } catch (e) {
      report(e);
    }
  },
};
