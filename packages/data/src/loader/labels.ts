/**
 * Labels numbered by name: a dataset's index numbers its labels by its own sorted class names, so two datasets of one
 * task (training and evaluation data, one lacking a class) can number the same class differently. With
 * `DataConfig.labels` (the training data's names), the loader renumbers each row's label to its name's position there.
 * Attributes likewise: with `DataConfig.attributes` (a judge's vocabulary) each attribute value is numbered by its
 * position in the judge's list of that attribute's values (`checkAttributes`).
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

/**
 * Check that every value of the dataset's attribute vocabulary (`index.attributes`) that `vocab` names an attribute
 * of is among that attribute's values in `vocab`: a value the vocabulary lacks is a DataError naming the dataset's
 * index.json, the attribute and the value. Attributes the dataset lacks, or `vocab` does not name, pass.
 */
export function checkAttributes(
  index: DatasetIndex,
  dir: string,
  vocab: Readonly<Record<string, readonly string[]>> | undefined,
): void {
  if (!vocab || !index.attributes) return;
  const unknown = Object.entries(vocab).flatMap(([name, values]) =>
    (index.attributes![name] ?? []).filter((v) => !values.includes(v)).map((v) => `${name} '${v}'`),
  );
  if (unknown.length)
    throw dataError(
      path.join(dir, 'index.json'),
      `attribute value${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not among the judge's ` +
        `(${Object.entries(vocab)
          .map(([n, v]) => `${n}: ${v.join(', ')}`)
          .join('; ')}): the data must use the vocabulary the judge was trained on`,
    );
}
