/**
 * An ablation's `scores`: after the sweep, each completed run's samples judged once more by a judge stage's run on
 * other reference rows (the run's evaluation dataset with some fields replaced), written beside the run, read back on
 * a rerun (and by --report-only, which computes nothing), joined to the report's rows for the verdict.
 */
import { existsSync, mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinyJudgeYaml } from '../../../train/test/helpers/tiny.js';
import { scoreRuns } from '../../src/ablate/run.js';
import {
  loadSweep,
  runDir,
  runSweepStage,
  runSweepTask,
  sweepReport,
  writePlan,
} from '../../src/sweep/index.js';

const ROOT = resolve(__dirname, '../../../..');
const BASE = join(ROOT, 'configs/sweeps/tiny-dit.base.yaml');

const JUDGE = tinyJudgeYaml();

describe('ablation scores', () => {
  it('judges each completed run on other reference rows once, and reads the scores back', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vtx-ablate-scores-'));
    writeFileSync(join(tmp, 'judge.yaml'), JUDGE);
    const file = join(tmp, 'sweep.yaml');
    writeFileSync(
      file,
      `name: sc\nbase: ${BASE}\nstages:\n  judge: { command: judge, base: judge.yaml }\nset: { train.steps: 2, train.checkpointEvery: 2 }\n`,
    );
    const dir = join(tmp, 'sweep');
    await writePlan(dir, file, await loadSweep(file, { dir }));
    await runSweepStage(dir, 'judge');
    await runSweepTask(dir, 0);
    const docs = join(tmp, 'docs');
    await fs.mkdir(docs);
    const scores = [{ name: 'other', judge: 'judge', dataset: { seed: 5 }, count: 4 }];

    const report = await sweepReport(dir, { png: false, out: docs });
    // report-only: nothing written yet, so nothing to read and nothing computed
    expect(await scoreRuns(scores, dir, report, docs, { compute: false })).toEqual([]);
    expect(report.rows[0]!.final['other/acc/mean']).toBeUndefined();

    const events: string[] = [];
    const sheets = await scoreRuns(scores, dir, report, docs, { onEvent: (l) => events.push(l) });
    expect(events).toEqual(['score base on other (judge: stage judge)']);
    expect(sheets).toEqual(['samples-base-other.png']);
    expect(existsSync(join(docs, 'samples-base-other.gif'))).toBe(true);
    // a class-conditional tiny DiT: the judge's direction head reads the class, over 4 samples
    const final = report.rows[0]!.final;
    expect(final['other/acc/direction']! * 4).toBeCloseTo(Math.round(final['other/acc/direction']! * 4), 10);
    expect(final['other/acc/mean']).toBe(final['other/acc/direction']);
    expect(Number.isFinite(final['other/frechet'])).toBe(true);
    const saved = JSON.parse(await fs.readFile(join(runDir(dir, 'base'), 'other.json'), 'utf8')) as {
      count: number;
      judge: string;
    };
    expect(saved).toMatchObject({ count: 4, judge: join(dir, 'stages', 'judge') });

    // a rerun reads the scores back: the same metrics, nothing sampled
    const again = await sweepReport(dir, { png: false, out: docs });
    const quiet: string[] = [];
    await scoreRuns(scores, dir, again, docs, { onEvent: (l) => quiet.push(l) });
    expect(quiet).toEqual([]);
    expect(again.rows[0]!.final['other/acc/mean']).toBe(final['other/acc/mean']);
  }, 600_000);
});
