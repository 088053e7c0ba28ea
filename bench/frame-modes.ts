/**
 * Measure a frame-conditioned bouncing-shapes run in every prompting mode (docs/frame-conditioning.md): image-to-video,
 * extension forward and backward (to the training length and 3x it), connecting, SDEdit editing; 64 held-out clips
 * each, read by the closed-form continuation reader, beside real clips and spliced clips (chance).
 *   node --conditions=@vtx/source --import tsx bench/frame-modes.ts RUN [SHEETS_DIR] [--checkpoint DIR] [--count N] [--steps S]
 * Prints a Markdown table and writes RUN/frame-modes.json; with SHEETS_DIR, a PNG sheet of 8 clips per mode there.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { measureFrameModes } from '@vtx/eval';
import { loadRun, startBackend } from '@vtx/train';
import { frameConditioningOf } from '@vtx/models';

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : undefined;
};
const checkpoint = option('--checkpoint');
const count = Number(option('--count') ?? 64);
const steps = option('--steps');
const [runDir, sheets] = args;
if (!runDir) {
  console.error('usage: bench/frame-modes.ts RUN [SHEETS_DIR] [--checkpoint DIR] [--count N] [--steps S]');
  process.exit(2);
}
await startBackend();
const run = await loadRun(runDir, checkpoint ? { checkpoint } : {});
if (!frameConditioningOf(run.cfg.model)) {
  console.error(`${runDir}: the model was not trained with frame conditioning (model.frameConditioning)`);
  process.exit(2);
}
const scores = await measureFrameModes(run, {
  count,
  seed: 0,
  ...(sheets ? { sheets } : {}),
  ...(steps ? { steps } : {}),
});
await writeFile(
  join(runDir, 'frame-modes.json'),
  JSON.stringify({ step: run.step, count, steps: steps ?? null, scores }, null, 2),
);
console.log(`${runDir} at step ${run.step}, ${count} held-out clips per mode\n`);
console.log('| mode | question | model | chance (spliced) | real clips |\n|---|---|---|---|---|');
for (const s of scores)
  console.log(
    `| ${s.mode} | ${s.question} | ${s.model.toFixed(2)} | ${s.chance.toFixed(2)} | ${s.real.toFixed(2)} |`,
  );
