/**
 * The bf16 GEMM opt-in (VTX_NATIVE_GEMM=bf16: AVX512_BF16, inputs rounded to bf16, fp32 accumulation) measured
 * against fp32, one JSON object per line (issue 18: no bf16 default without an accuracy study):
 *
 *   accuracy  each GEMM shape of the default config's step (default-tiny: 2048 rows of width 128, MLP 512,
 *             4 heads of 32 over 64 tokens, forward and backward forms) and a 1024 matmul: the normwise relative
 *             error ‖C − C64‖ / ‖C64‖ and the worst element's error over ‖C64‖∞ of the default exact kernel, the
 *             AVX-512 one and bf16, against a float64 product of the fp32 inputs (activations N(0, 1), weights N(0, 1/K));
 *   loss      the default config (configs/default.yaml) trained `--steps` steps from its seed on `native`, once
 *             per implementation: the default exact one, the own AVX-512 kernel (an fp32 control: how far two
 *             exact kernels' curves drift apart through summation order alone) and bf16; per run the loss every
 *             logged step, then the mean |Δloss| of each against the first and the mean loss of the last 25
 *             (`--seed N` another seed of the config, for the spread between seeds);
 *   speed     GFLOP/s of every implementation on 1024³ and a default-tiny GEMM, alternating A B A B
 *             (bench/gemm-impls.ts), best and median, with the load average before and after.
 *
 *   node --conditions=@vtx/source --import tsx bench/bf16-study.ts [--parts accuracy,loss,speed] [--steps 150]
 *        [--rounds 7] [--seed 0] [--impls openblas,avx512,bf16]
 * Timings taken on a loaded machine are not quotable (the load lines say how loaded it was).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nativeAddon, type NativeAddon } from '@vtx/backend-native';
import { mulberry32 } from '@vtx/core';
import { GEMM_IMPLS, timeImpls, type GemmShape } from './gemm-impls.js';

const { values: args } = parseArgs({
  options: {
    parts: { type: 'string', default: 'accuracy,loss,speed' },
    steps: { type: 'string', default: '150' },
    rounds: { type: 'string', default: '7' },
    // the config's seed for the loss runs, and which implementations train (default: exact,avx512,bf16)
    seed: { type: 'string', default: '0' },
    impls: { type: 'string' },
  },
});
const emit = (line: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'bf16-study', ...line }));
const load = () => +os.loadavg()[0]!.toFixed(2);
const addon = nativeAddon();
if (!addon) {
  emit({ skipped: 'native addon not built' });
  process.exit(0);
}
const info = addon.info();
if (!info.bf16) {
  emit({
    skipped: 'no bf16 GEMM here (the CPU lacks AVX512_BF16, or the addon was built portable)',
    ...info,
  });
  process.exit(0);
}
const exact = info.gemm; // the machine's default exact implementation
const parts = new Set(args.parts.split(','));
emit({ load: 'before', loadavg1m: load(), ...info });

/** The GEMMs of one default-tiny training step (forward, and the backward's dX = dY·Wᵀ and dW = Xᵀ·dY). */
const TINY: GemmShape[] = [
  { name: 'patch-embed', m: 2048, n: 128, k: 48, ta: false, tb: false },
  { name: 'qkv', m: 2048, n: 384, k: 128, ta: false, tb: false },
  { name: 'scores QKᵀ (one head)', m: 64, n: 64, k: 32, ta: false, tb: true },
  { name: 'attention·V (one head)', m: 64, n: 32, k: 64, ta: false, tb: false },
  { name: 'mlp-up', m: 2048, n: 512, k: 128, ta: false, tb: false },
  { name: 'mlp-down', m: 2048, n: 128, k: 512, ta: false, tb: false },
  { name: 'adaLN (6 x width)', m: 32, n: 768, k: 128, ta: false, tb: false },
  { name: 'mlp-down dX = dY·Wᵀ', m: 2048, n: 512, k: 128, ta: false, tb: true },
  { name: 'mlp-up dW = Xᵀ·dY', m: 128, n: 512, k: 2048, ta: true, tb: false },
  { name: '1024', m: 1024, n: 1024, k: 1024, ta: false, tb: false },
];

function normal(n: number, seed: number, scale: number): Float32Array {
  const rnd = mulberry32(seed);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++)
    v[i] = scale * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  return v;
}

/** C = op(A)·op(B) in float64 from the fp32 inputs, by definition. */
function reference(s: GemmShape, a: Float32Array, b: Float32Array): Float64Array {
  const c = new Float64Array(s.m * s.n);
  const row = new Float64Array(s.n);
  for (let i = 0; i < s.m; i++) {
    row.fill(0);
    for (let p = 0; p < s.k; p++) {
      const av = s.ta ? a[p * s.m + i]! : a[i * s.k + p]!;
      if (s.tb) for (let j = 0; j < s.n; j++) row[j]! += av * b[j * s.k + p]!;
      else for (let j = 0, o = p * s.n; j < s.n; j++) row[j]! += av * b[o + j]!;
    }
    c.set(row, i * s.n);
  }
  return c;
}

function errors(out: Float32Array, ref: Float64Array) {
  let [num, den, worst, big] = [0, 0, 0, 0];
  for (let i = 0; i < ref.length; i++) {
    const d = out[i]! - ref[i]!;
    num += d * d;
    den += ref[i]! * ref[i]!;
    worst = Math.max(worst, Math.abs(d));
    big = Math.max(big, Math.abs(ref[i]!));
  }
  return { relErr: +Math.sqrt(num / den).toExponential(3), maxErrOverMax: +(worst / big).toExponential(3) };
}

function accuracy(a: NativeAddon) {
  TINY.forEach((s, idx) => {
    const x = normal(s.m * s.k, 10 + idx, 1);
    const w = normal(s.k * s.n, 50 + idx, 1 / Math.sqrt(s.k));
    const ref = reference(s, x, w);
    const line: Record<string, unknown> = { part: 'accuracy', shape: s.name, m: s.m, n: s.n, k: s.k };
    for (const impl of new Set([exact, 'avx512', 'bf16'])) {
      if (!a.setGemm(impl)) continue;
      const c = new Float32Array(s.m * s.n);
      a.gemm(x, w, c, s.ta, s.tb, 1, s.m, s.n, s.k, null, null);
      line[impl] = errors(c, ref);
    }
    a.setGemm(exact);
    emit(line);
  });
}

const root = fileURLToPath(new URL('..', import.meta.url));

/** Train the default config `steps` steps with one GEMM implementation; its losses by step. */
function trainRun(impl: string, steps: number): Map<number, number> | string {
  const dir = mkdtempSync(join(os.tmpdir(), `vtx-bf16-${impl}-`));
  try {
    const argv = [
      '--conditions=@vtx/source',
      '--import',
      'tsx',
      join(root, 'packages/cli/src/bin.ts'),
      'train',
      '--config',
      join(root, 'configs/default.yaml'),
      '--backend',
      'native',
      '--out',
      join(dir, 'run'),
      ...[
        `seed=${args.seed}`,
        `train.steps=${steps}`,
        'train.logEvery=5',
        'train.evalEvery=0',
        'sample.count=0',
      ].flatMap((s) => ['--set', s]),
      ...['train.checkpointEvery=1000000', 'eval.judge.every=1000000'].flatMap((s) => ['--set', s]),
    ];
    const r = spawnSync(process.execPath, argv, {
      cwd: root,
      env: { ...process.env, VTX_NATIVE_GEMM: impl },
      encoding: 'utf8',
      timeout: 3600_000,
    });
    if (r.status !== 0) return `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-1)[0] ?? ''}`;
    const losses = new Map<number, number>();
    for (const l of readFileSync(join(dir, 'run/metrics.jsonl'), 'utf8').split('\n')) {
      if (!l.startsWith('{')) continue;
      const m = JSON.parse(l) as { step?: number; loss?: number };
      if (typeof m.step === 'number' && typeof m.loss === 'number') losses.set(m.step, m.loss);
    }
    return losses;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lossCurves(steps: number) {
  const impls = args.impls ? args.impls.split(',') : [...new Set([exact, 'avx512', 'bf16'])];
  const runs = new Map<string, Map<number, number>>();
  for (const impl of impls) {
    const t = performance.now();
    const r = trainRun(impl, steps);
    if (typeof r === 'string') {
      emit({ part: 'loss', impl, skipped: r });
      continue;
    }
    runs.set(impl, r);
    const s = Object.fromEntries([...r].map(([k, v]) => [k, +v.toFixed(5)]));
    emit({
      part: 'loss',
      impl,
      seed: Number(args.seed),
      steps,
      seconds: +((performance.now() - t) / 1000).toFixed(1),
      loss: s,
    });
  }
  const base = runs.get(impls[0]!);
  if (!base) return;
  const tail = (r: Map<number, number>) => {
    const v = [...r].filter(([k]) => k > steps - 25).map(([, x]) => x);
    return +(v.reduce((x, y) => x + y, 0) / v.length).toFixed(5);
  };
  for (const [impl, r] of runs) {
    const d = [...base].map(([k, v]) => Math.abs((r.get(k) ?? NaN) - v));
    emit({
      part: 'loss-summary',
      impl,
      against: impls[0],
      seed: Number(args.seed),
      meanAbsDiff: +(d.reduce((x, y) => x + y, 0) / d.length).toExponential(3),
      maxAbsDiff: +Math.max(...d).toExponential(3),
      meanLossLast25: tail(r),
      finalLoss: +(r.get(Math.max(...r.keys())) ?? NaN).toFixed(5),
    });
  }
}

if (parts.has('accuracy')) accuracy(addon);
if (parts.has('loss')) lossCurves(Number(args.steps));
if (parts.has('speed'))
  for (const name of ['1024', 'mlp-up'])
    for (const line of timeImpls(
      addon,
      TINY.find((s) => s.name === name)!,
      GEMM_IMPLS,
      Number(args.rounds),
    ))
      emit({ part: 'speed', ...line, bench: undefined });
emit({ load: 'after', loadavg1m: load() });
