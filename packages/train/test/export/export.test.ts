/** `exportRun`: the browser export holds exactly the checkpoint's EMA weights and a manifest a page can trust. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors } from '@vtx/core';
import { MOTION_CLASSES } from '@vtx/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExportManifest, exportRun } from '../../src/export/index.js';
import { latestCheckpoint, loadCheckpoint, hostValues } from '@vtx/checkpoint';
import { tinyRun, wasmRunsDir } from '../helpers/tiny.js';

const dir = wasmRunsDir('export');
let run = '';
beforeAll(async () => {
  run = await tinyRun(dir);
});

describe('exportRun', () => {
  it("writes the checkpoint's EMA weights bit for bit, with a manifest naming their sha256", async () => {
    const out = join(dir, 'export');
    const { manifest, files } = await exportRun(run, out);
    expect(files).toEqual([join(out, 'weights.safetensors'), join(out, 'model.json')]);

    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as unknown;
    const parsed = ExportManifest.parse(json);
    expect(parsed).toEqual(manifest);
    expect(parsed.clip).toEqual([4, 16, 16, 3]);
    expect(parsed.weights).toBe('ema');
    expect(parsed.step).toBe(4);
    expect(parsed.condition).toEqual({ kind: 'class', numClasses: 4, classNames: [...MOTION_CLASSES] });
    expect(parsed.diffusion.samplingSteps).toBe('ddim4');

    // a plain Uint8Array: core's decoder copies with .slice(), which on a Node Buffer is a view of the whole pool
    const bytes = new Uint8Array(readFileSync(join(out, 'weights.safetensors')));
    expect(parsed.files.weights.bytes).toBe(bytes.byteLength);
    expect(parsed.files.weights.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));

    // independent reference: the checkpoint's own ema group, read with the trainer's checkpoint reader
    const ckpt = await loadCheckpoint((await latestCheckpoint(join(run, 'checkpoints')))!, {
      groups: ['ema'],
    });
    const ema = ckpt.groups['ema']!.tensors;
    const { tensors } = decodeSafetensors(bytes, 'weights.safetensors');
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(ema).sort());
    let count = 0;
    for (const [name, t] of Object.entries(tensors)) {
      expect(t.shape, name).toEqual(ema[name]!.shape);
      expect(Array.from(t.data), name).toEqual(hostValues(ema[name]!));
      count += t.data.length;
    }
    expect(parsed.params).toBe(count);
  });

  it('exports the live weights on request, and refuses a run directory without checkpoints', async () => {
    const { manifest } = await exportRun(run, join(dir, 'live'), { weights: 'live' });
    expect(manifest.weights).toBe('live');
    await expect(exportRun(join(dir, 'nothing-here'), join(dir, 'x'))).rejects.toThrow(/nothing-here/);
  });
});
