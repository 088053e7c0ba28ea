/**
 * Judge stages: a sweep stage whose base is an attribute classifier's config is an ordinary run (`vtx train`, no
 * stage command of its own), which the runs score their samples with (`eval.judge: { run: '${stage.judge}' }`).
 * Validated as an experiment before anything starts; the local launcher runs it first, skips it once complete and
 * resumes an unfinished one; `vtx sweep task --stage` (what a Slurm stage job runs) does the same in process; the
 * report tabulates it.
 */
import { mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinyJudgeYaml } from '../../../train/test/helpers/tiny.js';
import { loadConfigFile } from '@vtx/config';
import { ExperimentConfig } from '../../../train/src/experiment.js';
import {
  loadSweep,
  readPlan,
  readSummary,
  runDir,
  runState,
  runSweep,
  runSweepStage,
  stageConfig,
  stageDir,
  stageArgs,
  sweepReport,
  writePlan,
  type SweepTrainStage,
} from '../../src/sweep/index.js';

const ROOT = resolve(__dirname, '../../../..');
const BASE = join(ROOT, 'configs/sweeps/tiny-dit.base.yaml');

const JUDGE = tinyJudgeYaml(true);

/** A sweep file (base: the tiny video DiT) beside a judge config `judge.yaml`. */
function sweepFile(body: string, dir = mkdtempSync(join(tmpdir(), 'vtx-judge-stage-'))): string {
  writeFileSync(join(dir, 'judge.yaml'), JUDGE);
  const f = join(dir, 'sweep.yaml');
  writeFileSync(f, `base: ${BASE}\n${body}`);
  return f;
}

describe('judge stages: validation', () => {
  it('expands a judge stage as an experiment and hands its directory to eval.judge.run', async () => {
    const f = sweepFile(`name: js
stages:
  judge: { base: judge.yaml, set: { train.steps: 3, model.width: 24 } }
set:
  eval.judge: { run: '\${stage.judge}', samples: 4 }
grid:
  model.width: [16, 24]
`);
    const ex = await loadSweep(f, { dir: '/tmp/sweeps/js' });
    const [judge] = ex.stages;
    expect(judge).toMatchObject({ name: 'judge', dir: '/tmp/sweeps/js/stages/judge' });
    expect((judge as SweepTrainStage).config).toMatchObject({
      name: 'js-stage-judge',
      train: { steps: 3, ema: { enabled: true } },
      model: { kind: 'attribute-classifier', width: 24 },
    });
    for (const r of ex.runs)
      expect(r.config.eval.judge).toMatchObject({ run: '/tmp/sweeps/js/stages/judge' });

    // the plan's stage is like any: its config an experiment, trained by `vtx train`
    const dir = mkdtempSync(join(tmpdir(), 'vtx-judge-plan-'));
    const plan = await writePlan(dir, f, await loadSweep(f, { dir }));
    expect(plan.stages).toEqual([
      {
        kind: 'train',
        name: 'judge',
        base: join(resolve(f, '..'), 'judge.yaml'),
        overrides: { 'train.steps': 3, 'model.width': 24, name: 'js-stage-judge' },
      },
    ]);
    expect((await readPlan(dir)).stages).toEqual(plan.stages);
    expect((await loadConfigFile(stageConfig(dir, 'judge'), ExperimentConfig)).train.steps).toBe(3);
    expect(await stageArgs(dir, plan.stages![0]!)).toEqual([
      'train',
      '--config',
      stageConfig(dir, 'judge'),
      '--out',
      stageDir(dir, 'judge'),
    ]);
  });

  it('a bad judge config fails the whole sweep before anything starts, named with the stage', async () => {
    // `steps` is not an experiment key (the old judge schema's); `model.widht` a typo
    const f = sweepFile(`name: bad
stages:
  judge: { base: judge.yaml, set: { train: { stpes: 3 }, model.widht: 8 } }
set: { eval.judge: { run: '\${stage.judge}' } }
`);
    const msg = ((await loadSweep(f).catch((e: unknown) => e)) as Error).message;
    expect(msg).toContain('1 of 2 stages and runs are invalid (nothing was started)');
    expect(msg).toContain('stage judge:');
    expect(msg).toContain("did you mean 'steps'");
    expect(msg).toContain("did you mean 'width'");
    // stages have no command of their own any more: a `command: judge` from before is a key the schema does not know
    await expect(
      loadSweep(sweepFile(`name: c\nstages:\n  judge: { command: judge, base: judge.yaml }\n`)),
    ).rejects.toThrow(/command/);
  });
});

describe('judge stages: running', () => {
  it('the local launcher trains the judge first, the run scores its samples with it, a rerun skips both', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vtx-judge-run-'));
    const file = sweepFile(
      `name: jr
stages:
  judge: { base: judge.yaml }
set:
  train.steps: 2
  train.checkpointEvery: 2
  eval.judge: { run: '\${stage.judge}', samples: 4 }
launcher: { kind: local, workers: 1 }
`,
      tmp,
    );
    const out = join(tmp, 'sweep');
    const events: string[] = [];
    const first = await runSweep(file, { out, onEvent: (l) => events.push(l) });
    expect(first.stageOutcomes).toMatchObject([{ name: 'judge', result: 'ok', action: 'start' }]);
    expect(first.outcomes).toMatchObject([{ name: 'base', result: 'ok' }]);
    expect(first.stageStates).toMatchObject([
      { name: 'judge', state: 'completed', summary: { step: 2, status: 'completed' } },
    ]);
    expect(events.findIndex((l) => l.startsWith('start stage judge'))).toBeLessThan(
      events.findIndex((l) => l.startsWith('start base')),
    );
    const judged = await fs.readFile(join(out, 'logs', 'stages', 'judge.log'), 'utf8');
    expect(judged).toContain('val/acc/colour');
    // the run's evaluation scored its samples with the stage's judge
    const metrics = (await readSummary(runDir(out, 'base')))!.metrics;
    expect(metrics['sample/acc/direction']).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(metrics['sample/frechet'])).toBe(true);

    // the report has the judge's row: its validation accuracy per attribute, its model
    const rep = await sweepReport(out, { png: false, metric: 'sample/acc/mean' });
    expect(rep.stages).toMatchObject([{ name: 'judge', state: 'completed', step: 2, steps: 2 }]);
    expect(rep.stages![0]!.model).toMatch(/^AttributeViViT-16x1\/2x4x4 \(shape, colour/);
    expect(Object.keys(rep.stages![0]!.final)).toContain('val/acc/background');

    // a rerun skips the completed judge and run
    const again = await runSweep(file, { out });
    expect(again.stageOutcomes).toEqual([{ name: 'judge', result: 'skipped' }]);
    expect(again.outcomes).toEqual([{ name: 'base', result: 'skipped' }]);

    // a judge killed after its checkpoint but before its summary resumes from it, as any run does
    await fs.rm(join(stageDir(out, 'judge'), 'summary.json'));
    expect((await runState(stageDir(out, 'judge'))).kind).toBe('resume');
    const third = await runSweep(file, { out });
    expect(third.stageOutcomes).toMatchObject([{ name: 'judge', result: 'ok', action: 'resume' }]);
    expect(third.outcomes).toEqual([{ name: 'base', result: 'skipped' }]);
  });

  it('`vtx sweep task --stage` trains a judge stage in this process, and returns it once complete', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vtx-judge-task-'));
    const file = sweepFile(
      `name: jt\nstages:\n  judge: { base: judge.yaml }\nset: { eval.judge: { run: '\${stage.judge}' } }\n`,
      tmp,
    );
    const dir = join(tmp, 'sweep');
    await writePlan(dir, file, await loadSweep(file, { dir }));
    const first = await runSweepStage(dir, 'judge');
    expect(first).toMatchObject({ name: 'jt-stage-judge', step: 2 });
    expect(Object.keys(first!.metrics)).toContain('val/acc/shape');
    expect((await runState(stageDir(dir, 'judge'))).kind).toBe('completed');
    // complete: returned as it is, not trained again
    expect(await runSweepStage(dir, 'judge')).toEqual(first);
  });
});
