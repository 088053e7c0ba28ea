/**
 * A dataset on the command line: a dataset directory (with index.json), a run directory (its config's training
 * data), or a built-in spec as inline YAML ('{kind: synthetic, count: 64, seed: 1}', '{kind: native-shapes}').
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BuiltinDataset, DataConfig, defaultCacheDir, resolveDataset } from '@vtx/data';
import { parse } from 'yaml';
import { readConfigTree } from '@vtx/config';
import { resolveExperimentPathKeys } from '@vtx/train';

export async function resolveDatasetArg(arg: string, cacheDir = defaultCacheDir()): Promise<string> {
  if (existsSync(join(arg, 'index.json'))) return arg;
  if (existsSync(join(arg, 'config.yaml'))) {
    const tree = await readConfigTree(join(arg, 'config.yaml'));
    const data = DataConfig.parse(
      (resolveExperimentPathKeys(tree.value, tree) as { data?: unknown }).data ?? {},
    );
    return resolveDataset(data.dataset, data.cacheDir);
  }
  if (arg.trim().startsWith('{')) return resolveDataset(BuiltinDataset.parse(parse(arg)), cacheDir);
  throw new Error(
    `'${arg}' is not a dataset directory, a run directory, or an inline built-in spec ('{kind: synthetic}')`,
  );
}
