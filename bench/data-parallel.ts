/**
 * Data parallelism on one machine: the default-tiny workload (configs/default.yaml, global batch 32) trained by the
 * real trainer as 1 rank x 2 threads and as 2 ranks x 1 thread (mpirun, VTX_THREADS), alternated A B A B, each
 * round's seconds per step and tokens per second read from its metrics.jsonl (the second logging window: the first
 * holds the warm-up step); then @vtx/mpi's all-reduce bandwidth for 1, 16 and 128 MB buffers (bench/allreduce.ts on
 * 2 ranks). One JSON line per result, each with the load average before and after (bench/measure.ts: numbers taken
 * on a loaded machine are not to be quoted; the ratio is withheld unless the machine was quiet).
 *
 *   node --conditions=@vtx/source --import tsx bench/data-parallel.ts [--rounds 2] [--steps 12] [--backend native]
 *
 * As root, OpenMPI needs OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 (set here for the children).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readConfigTree } from '@vtx/config';
import { alternation, loadGate, summarize } from './measure.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    steps: { type: 'string', default: '12' },
    backend: { type: 'string', default: 'native' },
    'skip-allreduce': { type: 'boolean', default: false },
  },
});
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const NODE = [process.execPath, '--conditions=@vtx/source', '--import', 'tsx'];
const ROOT_ENV = { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' };
const load = () => os.loadavg().map((l) => +l.toFixed(2));
const steps = Number(args.steps);
const window = Math.max(1, Math.floor(steps / 2));

// the default config, shortened: no evaluation, sampling or judge inside the timed steps
const tmp = mkdtempSync(join(os.tmpdir(), 'vtx-bench-dp-'));
type Section = Record<string, unknown>;
const cfg = (await readConfigTree(here('../configs/default.yaml'))).value as Record<string, Section>;
const { judge: _judge, ...evalSection } = cfg['eval']!;
Object.assign(cfg, {
  backend: args.backend,
  data: { ...cfg['data'], cacheDir: join(tmp, 'cache') },
  train: { ...cfg['train'], steps, logEvery: window, evalEvery: 0, checkpointEvery: steps },
  eval: { ...evalSection, batches: 1 },
  sample: { ...cfg['sample'], count: 0, every: 0 },
  log: { progress: 'off', tensorboard: false },
});
const batch = cfg['data']!['batchSize'] as number;
const config = join(tmp, 'default.json'); // JSON is YAML
writeFileSync(config, JSON.stringify(cfg));

const impls = {
  '1 rank x 2 threads': { ranks: 1, threads: 2 },
  '2 ranks x 1 thread': { ranks: 2, threads: 1 },
};
type Impl = keyof typeof impls;

function round(impl: Impl, n: number): { secondsPerStep: number; tokensPerSec: number } | { error: string } {
  const { ranks, threads } = impls[impl];
  const out = join(tmp, `run-${n}`);
  const train = [...NODE, here('../packages/cli/src/bin.ts'), 'train', '-c', config, '--out', out];
  const [file, argv] =
    ranks > 1
      ? ['mpirun', ['-np', String(ranks), '--bind-to', 'none', ...train]]
      : [train[0]!, train.slice(1)];
  const r = spawnSync(file, argv, {
    encoding: 'utf8',
    env: { ...process.env, ...ROOT_ENV, VTX_THREADS: String(threads) },
    timeout: 20 * 60_000,
  });
  try {
    if (r.status !== 0) return { error: `exit ${r.status}: ${r.stderr.slice(-400)}` };
    const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, number>)
      .filter((m) => 'secondsPerStep' in m);
    const last = records.at(-1)!;
    return { secondsPerStep: last['secondsPerStep']!, tokensPerSec: last['tokensPerSec']! };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const gate = loadGate(os.loadavg()[0]!, os.availableParallelism());
const loadBefore = load();
const seconds = new Map<Impl, number[]>();
const tokens = new Map<Impl, number[]>();
for (const [n, impl] of alternation(Object.keys(impls) as Impl[], Number(args.rounds)).entries()) {
  const before = load();
  const r = round(impl, n);
  if ('error' in r) {
    console.log(JSON.stringify({ bench: 'data-parallel', impl, error: r.error }));
    continue;
  }
  seconds.set(impl, [...(seconds.get(impl) ?? []), r.secondsPerStep]);
  tokens.set(impl, [...(tokens.get(impl) ?? []), r.tokensPerSec]);
  console.log(
    JSON.stringify({
      bench: 'data-parallel',
      workload: 'default-tiny',
      impl,
      round: n,
      ...r,
      loadBefore: before,
      loadAfter: load(),
    }),
  );
}
for (const impl of Object.keys(impls) as Impl[]) {
  const s = seconds.get(impl);
  if (!s?.length) continue;
  const t = summarize(tokens.get(impl)!.map((v) => 1 / v)); // best tokens/s = 1 / smallest s/token
  console.log(
    JSON.stringify({
      bench: 'data-parallel',
      workload: 'default-tiny',
      batch,
      backend: args.backend,
      impl,
      secondsPerStep: summarize(s),
      tokensPerSec: { best: +(1 / t.best).toFixed(1), median: +(1 / t.median).toFixed(1) },
      ...(gate.quiet ? {} : { notQuotable: gate.reason }),
      loadBefore,
      loadAfter: load(),
    }),
  );
}

if (!args['skip-allreduce']) {
  const r = spawnSync('mpirun', ['-np', '2', '--bind-to', 'none', ...NODE, here('./allreduce.ts')], {
    encoding: 'utf8',
    env: { ...process.env, ...ROOT_ENV },
    timeout: 10 * 60_000,
  });
  for (const l of r.stdout.split('\n').filter((s) => s.startsWith('{')))
    console.log(JSON.stringify({ ...JSON.parse(l), ...(gate.quiet ? {} : { notQuotable: gate.reason }) }));
  if (r.status !== 0) console.log(JSON.stringify({ bench: 'allreduce', error: r.stderr.slice(-400) }));
}
rmSync(tmp, { recursive: true, force: true });
