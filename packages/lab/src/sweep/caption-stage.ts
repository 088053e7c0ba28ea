/**
 * A sweep's caption stage (Sora's re-captioning as a step of a sweep): the captioner run writes a descriptive caption
 * for every clip of the runs' training data (`recaptionDataset` of @vtx/eval), into the stage's directory, which the
 * runs then train on (`data.dataset: '${stage.<name>}'`). The dataset moves into place only when complete
 * (DatasetWriter), so a stage killed half-way starts over and a completed one is skipped; `recaption.json` beside it
 * records what the captioner wrote (rows, how many equal the old caption, seconds) for reports.
 */
import { existsSync, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveDataset } from '@vtx/data';
import { recaptionDataset } from '@vtx/eval';
import { writeFileAtomic } from '@vtx/runs';
import { startBackend } from '@vtx/train';
import { stageDir, type PlannedCaptionStage } from './plan.js';

/** What a caption stage wrote: `<stage>/recaption.json`. */
export interface RecaptionRecord {
  captioner: string;
  /** The dataset directory it re-captioned. */
  source: string;
  rows: number;
  /** Fraction of re-captions equal to the clip's old caption (null when the clips had none). */
  agreement: number | null;
  seconds: number;
}

export const recaptionRecordFile = (sweepDir: string, stage: string) =>
  join(stageDir(sweepDir, stage), 'recaption.json');

/** The record a completed caption stage left, if any. */
export async function readRecaptionRecord(
  sweepDir: string,
  stage: string,
): Promise<RecaptionRecord | undefined> {
  const text = await fs.readFile(recaptionRecordFile(sweepDir, stage), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as RecaptionRecord);
}

/** Re-caption the stage's data into its directory unless that is done; returns what it wrote (or had written). */
export async function captionStage(
  sweepDir: string,
  stage: PlannedCaptionStage,
  opts: { log?: (line: string) => void } = {},
): Promise<RecaptionRecord | undefined> {
  const out = stageDir(sweepDir, stage.name);
  if (existsSync(join(out, 'index.json'))) return readRecaptionRecord(sweepDir, stage.name);
  if (!existsSync(join(stage.captioner, 'config.yaml')))
    throw new Error(
      `stage ${stage.name}: the captioner ${stage.captioner} is not a run directory (no config.yaml); train it first (an earlier stage)`,
    );
  const started = performance.now();
  await startBackend();
  const source = await resolveDataset(stage.dataset, stage.cacheDir);
  const index = await recaptionDataset({
    captionerRun: stage.captioner,
    dataset: source,
    out,
    batchSize: stage.batchSize,
    ...(opts.log ? { log: opts.log } : {}),
  });
  const record: RecaptionRecord = {
    captioner: stage.captioner,
    source: resolve(source),
    rows: index.rows,
    agreement: index.agreement,
    seconds: (performance.now() - started) / 1000,
  };
  await writeFileAtomic(recaptionRecordFile(sweepDir, stage.name), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}
