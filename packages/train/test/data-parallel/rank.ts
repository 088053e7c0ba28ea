// One rank of a data-parallel test run (started by mpirun, or alone as the one-process reference): trains the
// config in $1 (JSON) into $2, or resumes $2 when $3 is 'resume'. VTX_TEST_KILL / VTX_TEST_TERM = "rank:step" make
// that rank SIGKILL / SIGTERM itself after that many updates. Prints one JSON line: rank, status, step.
import { readFileSync } from 'node:fs';
import { GracefulStop, startRanks, train, type ExperimentConfigInput } from '@vtx/train';

const [config, out, mode] = process.argv.slice(2);
const cfg = JSON.parse(readFileSync(config!, 'utf8')) as ExperimentConfigInput;
const { rank } = startRanks();
const at = (v: string | undefined) => {
  const [r, s] = (v ?? '').split(':').map(Number);
  return r === rank ? s : undefined;
};
const kill = at(process.env['VTX_TEST_KILL']);
const term = at(process.env['VTX_TEST_TERM']);
const stop = new GracefulStop({ write: () => undefined });
const uninstall = stop.install();
try {
  const s = await train(cfg, {
    out: out!,
    resume: mode === 'resume',
    signal: stop.signal,
    terminal: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream,
    onStep: (rec) => {
      stop.onStep(rec);
      if (rec.step + 1 === kill) process.kill(process.pid, 'SIGKILL');
      if (rec.step + 1 === term) process.kill(process.pid, 'SIGTERM');
    },
  });
  console.log(JSON.stringify({ rank, status: s.status, step: s.step }));
} catch (e) {
  console.error(`rank ${rank}: ${(e as Error).stack}`);
  process.exitCode = 1;
} finally {
  uninstall();
}
