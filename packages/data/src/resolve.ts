/**
 * `resolveDataset`: a DataConfig `dataset` (a path, or a built-in spec) -> a dataset directory.
 * A built-in spec is built on first use into `<cacheDir>/<kind>-<hash of the spec>`; later runs with
 * the same spec reuse it. Builds are atomic, so an interrupted build is simply redone.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import type { BuildOptions } from './builders/common.js';
import { buildMovingMnist } from './builders/moving-mnist.js';
import { buildNativeShapes } from './builders/native-shapes.js';
import { buildOcclusion } from './builders/occlusion.js';
import { buildSynthetic } from './builders/synthetic.js';
import { BuiltinDataset, type BuiltinDatasetInput } from './config.js';

/** The cache directory of a built-in spec: `<cacheDir>/<kind>-<hash of the resolved spec, defaults included>`. */
export function builtinDir(dataset: BuiltinDatasetInput, cacheDir: string): string {
  const spec = BuiltinDataset.parse(dataset);
  const hash = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 12);
  return path.join(cacheDir, `${spec.kind}-${hash}`);
}

export async function resolveDataset(
  dataset: string | BuiltinDatasetInput,
  cacheDir: string,
  opts: BuildOptions = {},
): Promise<string> {
  if (typeof dataset === 'string') return dataset;
  const spec = BuiltinDataset.parse(dataset);
  const dir = builtinDir(spec, cacheDir);
  if (fs.existsSync(path.join(dir, 'index.json'))) return dir;
  switch (spec.kind) {
    case 'synthetic':
      await buildSynthetic(dir, spec, opts);
      break;
    case 'native-shapes':
      await buildNativeShapes(dir, spec, opts);
      break;
    case 'moving-mnist':
      await buildMovingMnist(dir, spec, opts);
      break;
    case 'occlusion':
      await buildOcclusion(dir, spec, opts);
      break;
  }
  return dir;
}
