/**
 * Caption stages (Sora's re-captioning as a sweep step): `stages: { x: { caption: { captioner: '${stage.c}' } } }`
 * re-captions the runs' training data with a captioner run into the stage's directory, which a run trains on with
 * `data.dataset: '${stage.x}'`. Validated before anything starts; the local launcher runs it after the captioner's
 * stage (as `vtx sweep task --stage`, the command a Slurm stage job runs too); a rerun skips it; the report has its row.
 */
import { existsSync, mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset, readRows, resolveDataset, type ClipRecord } from '@vtx/data';
import { captionFromAttributes, judgeClips, loadJudge } from '@vtx/eval';
import { recordsToClips } from '@vtx/train';
import { tinyJudgeYaml } from '../../../train/test/helpers/tiny.js';
import {
  loadSweep,
  readPlan,
  readRecaptionRecord,
  runConfig,
  runSweep,
  runSweepStage,
  SlurmLauncher,
  stageArgs,
  stageDir,
  stageSbatchScript,
  sweepReport,
  writePlan,
  type SweepCaptionStage,
} from '../../src/sweep/index.js';
import { loadConfigFile } from '@vtx/config';
import { ExperimentConfig } from '@vtx/train';

const ROOT = resolve(__dirname, '../../../..');
const BASE = join(ROOT, 'configs/sweeps/tiny-dit.base.yaml');

/** A sweep file (base: the tiny video DiT, 64 synthetic clips) beside a captioner config `captioner.yaml`. */
function sweepFile(body: string, dir = mkdtempSync(join(tmpdir(), 'vtx-caption-stage-'))): string {
  writeFileSync(join(dir, 'captioner.yaml'), tinyJudgeYaml(true));
  const f = join(dir, 'sweep.yaml');
  writeFileSync(f, `base: ${BASE}\n${body}`);
  return f;
}

const STAGES = `stages:
  captioner: { base: captioner.yaml }
  recaptioned: { caption: { captioner: '\${stage.captioner}', batchSize: 16 } }
`;

describe('caption stages: validation', () => {
  it("expands to the base config's training data and the captioner's directory; the run trains on the stage", async () => {
    const f = sweepFile(`name: cs
${STAGES}runs:
  - { label: original, set: {} }
  - { label: recaptioned, set: { data.dataset: '\${stage.recaptioned}' } }
set: { data.dataset.count: 32 }
`);
    const dir = '/tmp/sweeps/cs';
    const ex = await loadSweep(f, { dir });
    expect(ex.stages.map((s) => s.kind)).toEqual(['train', 'caption']);
    const cap = ex.stages[1] as SweepCaptionStage;
    expect(cap).toMatchObject({
      kind: 'caption',
      name: 'recaptioned',
      captioner: `${dir}/stages/captioner`,
      dir: `${dir}/stages/recaptioned`,
      batchSize: 16,
      // the sweep's `set` applies to the data it re-captions
      dataset: { kind: 'synthetic', count: 32, frames: 4, height: 16, width: 16 },
    });
    const [original, recaptioned] = ex.runs;
    expect(original!.config.data.dataset).toMatchObject({ kind: 'synthetic', count: 32 });
    expect(recaptioned!.config.data.dataset).toBe(`${dir}/stages/recaptioned`);
  });

  it('a captioner that names no earlier stage, or a stage re-captioning its own output, fails before anything starts', async () => {
    const later = sweepFile(`name: l
stages:
  recaptioned: { caption: { captioner: '\${stage.captioner}' } }
  captioner: { base: captioner.yaml }
`);
    await expect(loadSweep(later)).rejects.toThrow(
      /stages.recaptioned.caption: \$\{stage.captioner\} names no earlier stage \(none declared before it\)/,
    );
    const self = sweepFile(`name: s
${STAGES}set: { data.dataset: '\${stage.recaptioned}' }
`);
    await expect(loadSweep(self)).rejects.toThrow(/stage recaptioned would re-caption its own output/);
    // the caption block is strict: a typo is named
    await expect(
      loadSweep(sweepFile(`name: t\nstages:\n  x: { caption: { captioner: c, batchsize: 4 } }\n`)),
    ).rejects.toThrow(/batchsize/);
    await expect(
      loadSweep(sweepFile(`name: b\nstages:\n  x: { base: captioner.yaml, caption: { captioner: c } }\n`)),
    ).rejects.toThrow(/a caption stage re-captions the runs' training data: it takes no base or set/);
  });

  it('the plan records the stage; its command is `vtx sweep task --stage`, locally and in its Slurm job', async () => {
    const f = sweepFile(`name: cp\n${STAGES}`);
    const dir = mkdtempSync(join(tmpdir(), 'vtx-caption-plan-'));
    const plan = await writePlan(dir, f, await loadSweep(f, { dir }));
    const st = plan.stages![1]!;
    expect(st).toMatchObject({
      kind: 'caption',
      name: 'recaptioned',
      captioner: stageDir(dir, 'captioner'),
      dataset: { kind: 'synthetic', count: 64, frames: 4, height: 16, width: 16, seed: 0 },
      batchSize: 16,
    });
    expect(Object.keys(st).sort()).toEqual(['batchSize', 'cacheDir', 'captioner', 'dataset', 'kind', 'name']);
    expect((await readPlan(dir)).stages).toEqual(plan.stages);
    expect(await stageArgs(dir, st)).toEqual(['sweep', 'task', resolve(dir), '--stage', 'recaptioned']);
    // no stage config is written for it (it is not a run)
    expect(existsSync(join(dir, 'configs', 'stages', 'recaptioned.yaml'))).toBe(false);
    const script = stageSbatchScript(
      dir,
      plan,
      SlurmLauncher.parse({ kind: 'slurm' }),
      'recaptioned',
      ROOT,
      [],
    );
    expect(script).toMatch(/sweep task \S+ --stage recaptioned$/m);
  });
});

describe('caption stages: running', () => {
  it('re-captions every clip with the captioner (its predictions through the template); a rerun skips it', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vtx-caption-run-'));
    const cache = join(tmp, 'cache');
    const file = sweepFile(
      `name: cr
${STAGES}runs:
  - { label: recaptioned, set: { data.dataset: '\${stage.recaptioned}' } }
set:
  data.cacheDir: ${cache}
  data.dataset.count: 24
  train.steps: 2
  train.checkpointEvery: 2
launcher: { kind: local, workers: 1 }
`,
      tmp,
    );
    const out = join(tmp, 'sweep');
    const events: string[] = [];
    const first = await runSweep(file, { out, onEvent: (l) => events.push(l) });
    expect(first.stageOutcomes).toMatchObject([
      { name: 'captioner', result: 'ok' },
      { name: 'recaptioned', result: 'ok', action: 'start' },
    ]);
    expect(first.stageStates).toMatchObject([
      { name: 'captioner', state: 'completed' },
      { name: 'recaptioned', state: 'completed' },
    ]);
    expect(first.outcomes).toMatchObject([{ name: 'recaptioned', result: 'ok' }]);

    // the run trained on the stage's dataset
    const cfg = await loadConfigFile(runConfig(out, 'recaptioned'), ExperimentConfig);
    expect(resolve(cfg.data.dataset as string)).toBe(stageDir(out, 'recaptioned'));

    // every row kept, each caption the template of what the captioner reads in that clip (read here independently)
    const source = await resolveDataset(
      { kind: 'synthetic', count: 24, frames: 4, height: 16, width: 16, seed: 0 },
      cache,
    );
    const rows = async (d: string) => {
      const out: ClipRecord[] = [];
      for await (const r of readRows(await openDataset(d))) out.push(r);
      return out;
    };
    const before = await rows(source);
    const after = await rows(stageDir(out, 'recaptioned'));
    expect(after.map((r) => r.id)).toEqual(before.map((r) => r.id));
    const judge = await loadJudge(stageDir(out, 'captioner'));
    const x = recordsToClips(before);
    const { predictions } = await judgeClips(judge, x);
    x.dispose();
    judge.dispose();
    const expected = before.map((_, i) =>
      captionFromAttributes(Object.fromEntries(Object.entries(predictions).map(([k, v]) => [k, v[i]!]))),
    );
    expect(after.map((r) => r.caption)).toEqual(expected);
    expect(after.map((r) => r.meta?.['originalCaption'])).toEqual(before.map((r) => r.caption));

    // what it wrote is recorded and reported
    const rec = await readRecaptionRecord(out, 'recaptioned');
    const agree = expected.filter((c, i) => c === before[i]!.caption).length / expected.length;
    expect(rec).toMatchObject({
      captioner: stageDir(out, 'captioner'),
      source: resolve(source),
      rows: 24,
      agreement: agree,
    });
    const rep = await sweepReport(out, { png: false });
    expect(rep.stages![1]).toMatchObject({
      name: 'recaptioned',
      state: 'completed',
      final: { 'recaption/agreement': agree },
    });

    // a rerun skips both stages and the run; `vtx sweep task --stage` returns at once too
    const again = await runSweep(file, { out });
    expect(again.stageOutcomes).toEqual([
      { name: 'captioner', result: 'skipped' },
      { name: 'recaptioned', result: 'skipped' },
    ]);
    expect(again.outcomes).toEqual([{ name: 'recaptioned', result: 'skipped' }]);
    expect(await runSweepStage(out, 'recaptioned')).toBeUndefined();
    expect(await readRecaptionRecord(out, 'recaptioned')).toEqual(rec);

    // a missing dataset (never written, or removed) is written again, in this process
    await fs.rm(stageDir(out, 'recaptioned'), { recursive: true });
    await runSweepStage(out, 'recaptioned');
    expect((await rows(stageDir(out, 'recaptioned'))).map((r) => r.caption)).toEqual(expected);
  });

  it('a caption stage whose captioner is not a run says so and writes nothing', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vtx-caption-missing-'));
    const file = sweepFile(
      `name: cm\nstages:\n  recaptioned: { caption: { captioner: no-such-run } }\n`,
      tmp,
    );
    const dir = join(tmp, 'sweep');
    await writePlan(dir, file, await loadSweep(file, { dir }));
    await expect(runSweepStage(dir, 'recaptioned')).rejects.toThrow(
      `stage recaptioned: the captioner ${join(tmp, 'no-such-run')} is not a run directory (no config.yaml)`,
    );
    expect(existsSync(stageDir(dir, 'recaptioned'))).toBe(false);
  });
});
