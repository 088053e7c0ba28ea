/**
 * `resolveDataset`: a DataConfig `dataset` (a path, or a built-in spec) -> a dataset directory.
 * A built-in spec is built on first use into `<cacheDir>/<kind>-<hash of the spec>`; later runs with
 * the same spec reuse it. Builds are atomic, so an interrupted build is simply redone.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import type { BuildOptions } from './builders/common.js';
import { buildMovingMnist, MovingMnistSpec } from './builders/moving-mnist.js';
import { buildSynthetic, SyntheticSpec } from './builders/synthetic.js';
import type { DataConfig } from './config.js';

export async function resolveDataset(
  dataset: DataConfig['dataset'],
  cacheDir: string,
  opts: BuildOptions = {},
): Promise<string> {
  if (typeof dataset === 'string') return dataset;
  const spec = dataset.kind === 'synthetic' ? SyntheticSpec.parse(dataset) : MovingMnistSpec.parse(dataset);
  const hash = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 12);
  const dir = path.join(cacheDir, `${spec.kind}-${hash}`);
  if (fs.existsSync(path.join(dir, 'index.json'))) return dir;
  switch (spec.kind) {
    case 'synthetic':
      await buildSynthetic(dir, spec, opts);
      break;
    case 'moving-mnist':
      await buildMovingMnist(dir, spec, opts);
      break;
  }
  return dir;
}
