/**
 * Labels numbered by name: a dataset's index numbers its labels by its own sorted class names, so two datasets of one
 * task (training and evaluation data, one lacking a class) can number the same class differently. With
 * `DataConfig.labels` (the training data's names), the loader renumbers each row's label to its name's position there.
 */
import path from 'node:path';

import { dataError } from '../errors.js';
import type { DatasetIndex } from '../format/schema.js';

/**
 * The dataset's label -> the position of its name in `names`; null when there is nothing to renumber (no `names`, an
 * unlabelled dataset, or the same names in the same order). A label whose name is not in `names` is a DataError naming
 * the dataset's index.json and the label.
 */
export function labelRemap(
  index: DatasetIndex,
  dir: string,
  names: readonly string[] | undefined,
): Int32Array | null {
  const own = index.labels?.names;
  if (!names || !own) return null;
  const remap = Int32Array.from(own, (name) => names.indexOf(name));
  const unknown = own.filter((_, k) => remap[k]! < 0);
  if (unknown.length)
    throw dataError(
      path.join(dir, 'index.json'),
      `label${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')} not among the model's ` +
        `classes (${names.join(', ')}): evaluation data must use the training data's class names`,
    );
  return remap.every((j, k) => j === k) ? null : remap;
}
