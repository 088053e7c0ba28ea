/**
 * Re-captioning (Sora §Language understanding, after DALL·E 3): a captioner trained on clips with descriptive
 * captions writes a descriptive caption for every clip of a dataset whose captions are terse or missing. Here the
 * captioner is an attribute classifier whose predictions fill the dataset's caption template
 * (`captionFromAttributes`). The new dataset keeps every row (clip bytes, ids, labels, attributes, the terse
 * caption) and replaces the descriptive `caption` column; `index.builder` names the captioner run and the source.
 */
import { resolve } from 'node:path';
import { recordsToClips } from '@vtx/train';
import { DatasetWriter, openDataset, readRows, type ClipRecord, type DatasetIndex } from '@vtx/data';
import { judgeClips, loadJudge } from './judge.js';
import { captionFromAttributes } from './caption-template.js';

export interface RecaptionOptions {
  captionerRun: string;
  dataset: string;
  out: string;
  batchSize?: number;
  log?: (line: string) => void;
}

export async function recaptionDataset(
  opts: RecaptionOptions,
): Promise<DatasetIndex & { agreement: number | null }> {
  const log = opts.log ?? (() => {});
  const captioner = await loadJudge(opts.captionerRun);
  if (captioner.kind !== 'attribute') {
    captioner.dispose();
    throw new Error(
      `${opts.captionerRun}: a captioner is an attribute classifier run, not a ${captioner.kind} classifier`,
    );
  }
  const ds = await openDataset(opts.dataset);
  if (ds.index.dtype !== 'uint8') throw new Error(`${opts.dataset}: re-captioning reads uint8 pixel clips`);
  const w = await DatasetWriter.create(opts.out, {
    name: `${ds.index.name}-recaptioned`,
    dtype: 'uint8',
    builder: {
      kind: 'recaption',
      captioner: resolve(opts.captionerRun),
      source: { dir: resolve(opts.dataset), name: ds.index.name, builder: ds.index.builder },
    },
    labels: ds.index.labels?.names ?? null,
    attributes: ds.index.attributes,
  });
  const batchSize = opts.batchSize ?? 32;
  let done = 0;
  let agree = 0;
  let compared = 0;
  const flush = async (group: ClipRecord[]) => {
    const x = recordsToClips(group);
    const { predictions } = await judgeClips(captioner, x);
    x.dispose();
    for (const [i, rec] of group.entries()) {
      const attrs = Object.fromEntries(Object.entries(predictions).map(([k, v]) => [k, v[i]!]));
      const caption = captionFromAttributes(attrs);
      if (rec.caption) {
        compared++;
        if (rec.caption === caption) agree++;
      }
      await w.add({ ...rec, caption, meta: { ...(rec.meta ?? {}), originalCaption: rec.caption } });
    }
    done += group.length;
    log(`captioned ${done}/${ds.index.rows}`);
  };
  try {
    let group: ClipRecord[] = [];
    for await (const rec of readRows(ds)) {
      if (group.length && (group.length >= batchSize || group[0]!.shape.join() !== rec.shape.join())) {
        await flush(group);
        group = [];
      }
      group.push(rec);
    }
    if (group.length) await flush(group);
  } catch (e) {
    await w.abort();
    throw e;
  }
  const index = await w.finish();
  return { ...index, agreement: compared ? agree / compared : null };
}
