/**
 * `vtx info <model|config>`: parameters, tokens, Gflops and activation memory for a clip size, without allocating
 * weights; for a multi-size config (native-shapes sizes, buckets), tokens and Gflops at each size it declares.
 */
import type { CommandModule } from 'yargs';
import { PRESETS, modelCost, modelName, preset } from '@vtx/models';
import { importPlugins } from '@vtx/train';
import { UsageError, parseClip, report, resolveModel } from './common.js';
import { pluginOption } from './plugin-option.js';

interface Args {
  model?: string;
  list: boolean;
  clip?: string;
  plugin: string[];
  batch: number;
  json: boolean;
}

const fmt = (n: number) => n.toLocaleString('en-US');

export const infoCommand: CommandModule<object, Args> = {
  command: 'info [model]',
  describe: 'parameters, tokens, Gflops and activation memory of a model (a preset name or a config file)',
  builder: (y) =>
    y
      .positional('model', {
        type: 'string',
        describe:
          'a preset (DiT-XL/2, ViT-B/16, ViViT-B/16x2-FE, …; any case) or a YAML config; with --list, a filter',
      })
      .option('list', {
        type: 'boolean',
        default: false,
        describe: 'list every preset (those containing [model], any case): parameters and clip',
      })
      .check((a) => {
        if (!a.list && !a.model) throw new Error('give a preset or a config, or --list');
        return true;
      })
      .option('clip', {
        type: 'string',
        describe:
          'clip size T,H,W,C (or H,W,C); default the preset / config size (every size of a multi-size config)',
      })
      .option('batch', {
        type: 'number',
        default: 1,
        describe: 'batch size for the activation-memory estimate',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .option('plugin', pluginOption)
      .example('$0 info DiT-XL/2', 'DiT-XL/2 at 256 px (32x32x4 latents): 675,129,632 params, 118.6 Gflops')
      .example('$0 info --list vivit', 'every ViViT preset with its parameters and clip')
      .example('$0 info ViT-B/16 --clip 384,384,3', 'ViT-B/16 at 384 px')
      .example('$0 info configs/vivit/factorised-encoder.yaml --json', 'the model of an experiment config')
      .example(
        '$0 info configs/sora/native-sizes.yaml',
        'a multi-size config: parameters once, tokens and Gflops at each size it declares',
      )
      .example(
        '$0 info examples/new-model/my-model.yaml',
        'a model kind added by a plugin (listed under plugins:, or given with --plugin)',
      ),
  handler: async (argv) => {
    try {
      if (argv.list) return listPresets(argv.model ?? '', argv.json);
      await importPlugins(argv.plugin);
      const {
        model,
        clips,
        source,
        process: noiseProcess,
      } = await resolveModel(argv.model!, parseClip(argv.clip));
      const costs = clips.map((clip) => ({ clip, c: modelCost(model, clip, noiseProcess) }));
      const perSize = costs.map(({ clip, c }) => ({
        clip,
        tokens: c.tokens,
        gflops: +c.gflops.toFixed(4),
        trainGflopsPerSample: +c.trainGflops.toFixed(4),
        activationMB: +((c.activationBytes * argv.batch) / 2 ** 20).toFixed(1),
      }));
      const c = costs[0]!.c;
      // learned position tables make the parameter count depend on the size; sin-cos ones do not
      const sameParams = costs.every(({ c: d }) => d.params === c.params && d.fixedParams === c.fixedParams);
      const info = {
        model: modelName(model),
        source,
        ...(clips.length === 1 ? { clip: clips[0] } : {}),
        params: c.params + c.fixedParams,
        trainableParams: c.params,
        fixedParams: c.fixedParams,
        ...(clips.length === 1 ? perSize[0] : {}),
        ...(clips.length > 1
          ? {
              sizes: perSize.map((p, i) => ({
                ...p,
                ...(sameParams ? {} : { params: costs[i]!.c.params + costs[i]!.c.fixedParams }),
              })),
            }
          : {}),
        batch: argv.batch,
      };
      if (argv.json) {
        process.stdout.write(`${JSON.stringify(info)}\n`);
        return;
      }
      const params = `${fmt(info.params)}${c.fixedParams ? `  (${fmt(c.fixedParams)} fixed: sin-cos pos_embed)` : ''}`;
      if (clips.length === 1) {
        const p = perSize[0]!;
        process.stdout.write(
          [
            `${info.model}  (${source})`,
            `  clip            ${p.clip.join(' x ')}  (T x H x W x C)`,
            `  parameters      ${params}`,
            `  tokens          ${fmt(p.tokens)}`,
            `  forward Gflops  ${p.gflops}  (multiply-adds, DiT's convention)`,
            `  train Gflops    ${p.trainGflopsPerSample} per sample (${p.trainGflopsPerSample < 2.9 * p.gflops ? '~3x the forward pass over the kept tokens: model.maskRatio' : '~3x forward'})`,
            `  activations     ~${p.activationMB} MB at batch ${argv.batch} (float32, kept for backward; estimate)`,
            '',
          ].join('\n'),
        );
        return;
      }
      const rows = [
        ['clip (TxHxWxC)', 'tokens', 'fwd Gflops', 'train Gflops', `act MB @${argv.batch}`],
        ...perSize.map((p, i) => [
          p.clip.join('x'),
          fmt(p.tokens),
          String(p.gflops),
          String(p.trainGflopsPerSample),
          `~${p.activationMB}`,
          ...(sameParams ? [] : [`${fmt(costs[i]!.c.params + costs[i]!.c.fixedParams)} params`]),
        ]),
      ];
      const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
      process.stdout.write(
        [
          `${info.model}  (${source})`,
          `  parameters      ${sameParams ? params : 'per size (learned position tables; see below)'}`,
          `  ${clips.length} sizes the config declares (forward Gflops are multiply-adds per sample, train ~3x forward):`,
          ...rows.map(
            (r) =>
              `    ${r.map((v, j) => (j === 0 ? v.padEnd(widths[j]!) : v.padStart(widths[j]!))).join('  ')}`,
          ),
          '',
        ].join('\n'),
      );
    } catch (e) {
      report(e);
    }
  },
};

/** `vtx info --list [filter]`: every preset whose name contains `filter` (any case), with parameters and clip. */
function listPresets(filter: string, json: boolean): void {
  const rows = Object.entries(PRESETS)
    .filter(([name]) => name.toLowerCase().includes(filter.toLowerCase()))
    .map(([name]) => {
      const p = preset(name);
      const c = modelCost(p.model, p.clip);
      return { name, model: modelName(p.model), params: c.params + c.fixedParams, clip: p.clip };
    });
  if (!rows.length)
    throw new UsageError(`no preset name contains '${filter}'; 'vtx info --list' lists them all`);
  if (json) {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return;
  }
  const w = Math.max(...rows.map((r) => r.name.length));
  const pw = Math.max(...rows.map((r) => fmt(r.params).length));
  process.stdout.write(
    `${rows.map((r) => `${r.name.padEnd(w)}  ${fmt(r.params).padStart(pw)} params  clip ${r.clip.join('x')}`).join('\n')}\n`,
  );
}
