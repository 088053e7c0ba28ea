/**
 * Frame-folder builder: one folder of PNG/JPEG frames per clip (frames in file-name order), under a
 * root (class subfolders = labels: root/<label>/<clip>/0001.png) or listed in a CSV/JSONL manifest
 * (path = the clip folder). Frames are decoded with pngjs / jpeg-js and optionally resized; without a
 * size, every frame of a clip must have the same size and clips may differ (variable resolution).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

import { DataError, messageOf } from '../errors.js';
import { DatasetWriter } from '../format/writer.js';
import type { ClipRecord, DatasetIndex } from '../format/schema.js';
import { shardOpts, type BuildOptions } from './common.js';
import { decodeImage, IMAGE_EXTENSIONS, resizeImage } from './image.js';
import { labelNames, listInputs, type InputItem } from './inputs.js';

const pos = z.number().int().positive();

export const FramesSpec = z
  .strictObject({
    kind: z.literal('frames'),
    input: z
      .string()
      .describe('root folder (clip folders, optionally in class folders) or a manifest .csv/.jsonl'),
    name: z.string().default('frames').describe('dataset name (shard file prefix)'),
    height: pos
      .optional()
      .describe("resize to this height; both or neither (default: keep each clip's size)"),
    width: pos.optional().describe("resize to this width; both or neither (default: keep each clip's size)"),
    resize: z
      .enum(['crop', 'stretch'])
      .default('crop')
      .describe("'crop': scale to cover, centre-crop (keeps aspect); 'stretch': scale to the size"),
    fps: z.number().positive().optional().describe('frame rate to record in the dataset (frames carry none)'),
    maxFrames: pos.optional().describe('keep at most this many frames per clip (the first ones)'),
    onError: z
      .enum(['skip', 'fail'])
      .default('skip')
      .describe("an unreadable clip: 'skip' it (listed in index.json) or 'fail' the build"),
  })
  .refine(
    (s) => (s.height === undefined) === (s.width === undefined),
    'frames builder: give both height and width, or neither',
  );
export type FramesSpec = z.infer<typeof FramesSpec>;
export type FramesSpecInput = z.input<typeof FramesSpec>;

const isImage = (f: string) => IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase());

async function frameFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter(isImage).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Decode one clip folder to (T, H, W, 3). Throws a plain Error naming the bad frame. */
async function readClip(
  item: InputItem,
  spec: FramesSpec,
): Promise<{ data: Uint8Array; shape: [number, number, number, number]; original: [number, number] }> {
  let files = await frameFiles(item.path);
  if (files.length === 0) throw new Error('no PNG/JPEG frames');
  if (spec.maxFrames) files = files.slice(0, spec.maxFrames);
  let data: Uint8Array | null = null;
  let size: [number, number] | null = null;
  let original: [number, number] | null = null;
  for (const [t, f] of files.entries()) {
    let img;
    try {
      img = decodeImage(await fs.readFile(path.join(item.path, f)));
    } catch (e) {
      throw new Error(`frame ${f}: ${messageOf(e)}`);
    }
    original ??= [img.height, img.width];
    if (spec.height !== undefined && spec.width !== undefined)
      img = resizeImage(img, spec.height, spec.width, spec.resize);
    if (!size) {
      size = [img.height, img.width];
      data = new Uint8Array(files.length * img.height * img.width * 3);
    } else if (size[0] !== img.height || size[1] !== img.width) {
      throw new Error(
        `frame ${f} is ${img.height}x${img.width}, earlier frames are ${size[0]}x${size[1]} (set height/width to resize)`,
      );
    }
    data!.set(img.data, t * img.data.length);
  }
  return { data: data!, shape: [files.length, size![0], size![1], 3], original: original! };
}

export async function buildFromFrames(
  out: string,
  input: FramesSpecInput,
  opts: BuildOptions = {},
): Promise<DatasetIndex> {
  const spec = FramesSpec.parse(input);
  const items = await listInputs(spec.input, async (p, isDir) => isDir && (await frameFiles(p)).length > 0);
  if (items.length === 0) throw new DataError(`${spec.input}: no folders of PNG/JPEG frames found`);
  const names = labelNames(items);
  const w = await DatasetWriter.create(out, {
    name: spec.name,
    dtype: 'uint8',
    builder: spec,
    labels: names,
    ...shardOpts(opts),
  });
  try {
    for (const [i, item] of items.entries()) {
      let clip;
      try {
        clip = await readClip(item, spec);
      } catch (e) {
        if (spec.onError === 'fail')
          throw new DataError(`${item.path}: ${messageOf(e)}`, { file: item.path, cause: e });
        w.skip(item.path, messageOf(e));
        continue;
      }
      const rec: ClipRecord = {
        id: path.relative(path.dirname(path.resolve(spec.input)), item.path),
        source: item.path,
        data: clip.data,
        shape: clip.shape,
        label: item.label === null || !names ? null : names.indexOf(item.label),
        caption: item.caption,
        captionTerse: null,
        attributes: null,
        fps: spec.fps ?? null,
        meta: { originalSize: clip.original },
      };
      await w.add(rec);
      opts.onProgress?.(i + 1, items.length);
    }
  } catch (e) {
    await w.abort();
    throw e;
  }
  return w.finish();
}
