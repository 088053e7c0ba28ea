/**
 * `pnpm bench`: the project's benchmarks in one invocation, one JSON object per line.
 *
 *   1. machine: CPU model, cores, clock, SIMD, fp32 peak (cores x GHz x 32 flop/cycle with AVX2 FMA, 64 with
 *      AVX-512), and a `load` line: the 1-minute load average before the start (and after, in the summary).
 *   2. matmul-1024: GFLOP/s of a 1024x1024 matmul on every available backend (and PyTorch), vs that peak; then
 *      `gemm` lines: the native addon's GEMM implementations (OpenBLAS, the own AVX-512 and AVX2 kernels, the
 *      bf16 opt-in) alternating on 1024³ and a GEMM of the default config's step (bench/gemm-impls.ts), best and
 *      median GFLOP/s each (bf16's fraction is of the fp32 peak: vdpbf16ps does twice the flops per lane).
 *   3. training steps: the workloads of bench/peer/workloads.json as full steps (fresh batch, forward,
 *      backward, AdamW) on every available backend, and the PyTorch peer (bench/peer/torch_reference.py, same
 *      shapes, batch, AdamW) when `/usr/bin/python3 -c "import torch"` works. Implementations alternate
 *      (PyTorch, native, wasm, PyTorch, native, wasm, … for `--rounds` rounds, each round its own process of
 *      `--warmup` + `--steps` steps); per implementation the best and median round's seconds/step, tokens/s,
 *      GFLOP/s at the best (modelCost's training flops, the same count for every implementation), the fraction of
 *      the peak, peak RSS, and the ratio PyTorch s/step ÷ ours (> 1: faster than PyTorch) of the best and of the
 *      median. The ratio is withheld, with the reason, when the load average exceeded 0.5 per core before the
 *      start (bench/measure.ts): a loaded machine flatters vtx.
 *   4. convolutions: the U-Net's conv shapes (bench/peer/convs.json: 3x3 stride 1 and 2, 1x1) forward, input
 *      gradient and filter gradient, vtx (bench/conv-step.ts) and PyTorch (bench/peer/conv_reference.py)
 *      alternating by round as the training steps do; per (shape, pass, implementation) the best and median
 *      round's ms per call, GFLOP/s at the best and the ratio PyTorch ms ÷ ours, under the same load gate.
 *   5. the other bench scripts: bench/core-micro.ts --quick and bench/data-loader.ts, when present.
 *
 * `webgpu` lines name the adapter; on a software one (SwiftShader: a GPU emulated on the CPU) they are marked
 * `emulated`, its training steps are skipped unless `--with-emulated`, and they are never compared with PyTorch
 * nor credited with a fraction of the CPU's peak. Without the optional `webgpu` package or an adapter, the
 * `webgpu` lines say why they were skipped.
 * `native-unfused` is the native backend with @vtx/core's fused ops off (`setFusedOps(false)`), for an A/B;
 * `native-bf16` the native backend with the bf16 GEMM (`VTX_NATIVE_GEMM=bf16`, a config's `matmulPrecision: medium`).
 * `default` is the default config's step as it is now (bench/workloads.ts), beside the peer file's workloads.
 * Every measurement runs in its own process (clean peak RSS; backend patches cannot be undone). The pure-JS
 * `cpu` backend needs minutes per step here and is skipped unless `--with-cpu` (then 1 step, no warm-up).
 *
 *   pnpm bench [--only machine,matmul,train,conv,micro] [--workload NAME] [--conv NAME]
 *              [--backends native,wasm,webgpu,native-unfused,native-bf16] [--rounds 3] [--steps 5] [--warmup 2]
 *              [--with-cpu] [--with-emulated] [--no-torch]
 * Benchmarks are not tests: no assertions; numbers move with machine load (loadavg is printed).
 * Over 350 lines: one short section per kind of measurement, sharing the load gate, the alternation of
 * implementations and the process runner, which is why they stay in one file.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadAddon } from '@vtx/backend-native';
import { alternation, loadGate, ratio, summarize } from './measure.js';
import { CONV_PASSES, convGflop, loadConvs } from './convs.js';
import { loadWorkloads, peerWorkloads, workloadCost, type Workload } from './workloads.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    workload: { type: 'string' },
    conv: { type: 'string' },
    backends: { type: 'string', default: 'native,wasm,webgpu' },
    rounds: { type: 'string', default: '3' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    'with-cpu': { type: 'boolean', default: false },
    'with-emulated': { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false },
  },
});

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
/** A backend name's variant suffix (`native-unfused`, `native-bf16`): the same backend, measured another way. */
const VARIANT = /-(unfused|bf16)$/;
const sections = new Set((args.only ?? 'machine,matmul,train,conv,micro').split(','));
const PYTHON = '/usr/bin/python3';
const NODE = [process.execPath, '--conditions=@vtx/source', '--import', 'tsx'];

type Line = Record<string, unknown>;
const emit = (line: Line) => console.log(JSON.stringify(line));

/** Run a command; its JSON stdout lines, or the reason it failed. */
function runJson(
  cmd: string,
  argv: string[],
  timeoutS = 1800,
  env: NodeJS.ProcessEnv = process.env,
): { lines: Line[]; error?: string } {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 64 << 20, env });
  const lines = (r.stdout ?? '')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
  if (r.status === 0) return { lines };
  const tail = `${r.stderr ?? ''}`.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
  return { lines, error: r.error ? r.error.message : `exit ${r.status}: ${tail.slice(0, 300)}` };
}

// ---- machine ------------------------------------------------------------------------------------------
function machine(): Line & { peak: number } {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const flags = new Set(
    cpuinfo
      .match(/^flags\s*:(.*)$/m)?.[1]
      ?.trim()
      .split(/\s+/) ?? [],
  );
  const cores = os.availableParallelism();
  // os.cpus() reports speed 0 on some VMs: fall back to /proc/cpuinfo's "cpu MHz"
  const mhz = os.cpus()[0]?.speed || Number(cpuinfo.match(/^cpu MHz\s*:\s*([\d.]+)/m)?.[1] ?? 0);
  const ghz = +(mhz / 1000).toFixed(3);
  // fp32 FMA: 8 lanes x 2 flops x 2 FMA units per cycle with AVX2 (32); AVX-512 doubles the lanes
  const peakAvx2 = +(cores * ghz * 32).toFixed(1);
  const measured = measuredPeak();
  return {
    bench: 'machine',
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores,
    ghz,
    avx2: flags.has('avx2') && flags.has('fma'),
    avx512: flags.has('avx512f'),
    peakAvx2Gflops: peakAvx2,
    ...(flags.has('avx512f') ? { peakAvx512Gflops: +(cores * ghz * 64).toFixed(1) } : {}),
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    loadavg1m: +os.loadavg()[0]!.toFixed(2),
    ...(measured ? { peakMeasuredGflops: measured } : {}),
    // the fp32 peak the fractions are taken of: the measured FMA throughput where the native addon loads (the
    // nominal count assumes two 512-bit FMAs a cycle at the base clock: AMD Zen 4 issues one, and cores boost past
    // "cpu MHz"), else the nominal AVX-512 / AVX2 count
    peak: measured || (flags.has('avx512f') ? +(cores * ghz * 64).toFixed(1) : peakAvx2),
  };
}

/** Independent FMAs on every native pool thread for a second (native/peak.cc): the fp32 peak as this CPU runs it. */
function measuredPeak(): number {
  const native = loadAddon();
  return native.ok ? +native.addon.fmaPeak(1).toFixed(1) : 0;
}

function torchAvailable(): string | null {
  if (args['no-torch']) return '--no-torch';
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'python3-torch not installed (bench/install-peer.sh)';
}

// the load before anything of ours runs: the gate for every ratio of this invocation
const gate = loadGate(os.loadavg()[0]!, os.availableParallelism());
const m = machine();
const { peak, ...machineLine } = m;
if (sections.has('machine')) emit({ ...machineLine, peakGflops: peak });
const torchMissing = torchAvailable();
const backends = args.backends.split(',').filter(Boolean);
if (args['with-cpu']) backends.push('cpu');

// ---- matmul 1024 --------------------------------------------------------------------------------------
if (sections.has('matmul')) {
  for (const backend of backends.filter((b) => !VARIANT.test(b))) {
    const r = runJson(
      NODE[0]!,
      [...NODE.slice(1), here('./train-step.ts'), '--matmul', '--backend', backend],
      600,
    );
    for (const l of r.lines)
      emit(
        l['adapter'] // a GPU (or its emulation): the CPU's peak says nothing about it
          ? l
          : { ...l, peakGflops: peak, ofPeak: +((l['gflops'] as number) / peak).toFixed(3) },
      );
    if (r.error) emit({ bench: 'matmul-1024', backend, skipped: r.error });
  }
  if (backends.includes('native')) {
    const rounds = String(Math.max(5, Number(args.rounds)));
    const r = runJson(NODE[0]!, [...NODE.slice(1), here('./gemm-impls.ts'), '--rounds', rounds], 900);
    for (const l of r.lines)
      emit(
        typeof l['gflopsBest'] === 'number'
          ? { ...l, peakGflops: peak, ofPeak: +(l['gflopsBest'] / peak).toFixed(3) }
          : l,
      );
    if (r.error) emit({ bench: 'gemm', skipped: r.error });
  }
  if (!torchMissing) {
    const py = [
      'import json, time, torch',
      'torch.set_num_threads(' + String(m['cores']) + ')',
      'a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)',
      'a @ b',
      'ts = []',
      'for _ in range(10):',
      '    t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)',
      'ms = min(ts) * 1e3',
      'print(json.dumps({"bench": "matmul-1024", "backend": "pytorch-" + torch.__version__, "ms": round(ms, 2), "gflops": round(2 * 1024**3 / ms / 1e6, 1)}))',
    ].join('\n');
    const r = runJson(PYTHON, ['-c', py], 300);
    for (const l of r.lines)
      emit({ ...l, peakGflops: peak, ofPeak: +((l['gflops'] as number) / peak).toFixed(3) });
  }
}

// ---- training steps -----------------------------------------------------------------------------------
/**
 * The peer script to run for a workload: bench/peer/torch_reference.py itself, or, for a workload its file does not
 * list (`default`, the default config's step), an unchanged copy of it beside a copy of its workloads file with the
 * workload added (the script reads the workloads.json next to it).
 */
function peerScript(w: Workload): string {
  const script = here('./peer/torch_reference.py');
  const listed = peerWorkloads();
  if (listed.some((x) => x.name === w.name)) return script;
  const dir = (peerCopy ??= mkdtempSync(join(os.tmpdir(), 'vtx-peer-')));
  copyFileSync(script, join(dir, 'torch_reference.py'));
  writeFileSync(join(dir, 'workloads.json'), JSON.stringify({ workloads: [...listed, w] }));
  return join(dir, 'torch_reference.py');
}
let peerCopy: string | undefined;
process.once('exit', () => peerCopy && rmSync(peerCopy, { recursive: true, force: true }));

/** One round of one implementation on one workload: its JSON line (secondsPerStep, …) or why it failed. */
function runOnce(w: Workload, impl: string): { line?: Line; error?: string } {
  if (impl === 'pytorch') {
    const py = [
      'import json, resource, runpy, sys',
      `sys.argv = ["torch_reference.py", "--workload", ${JSON.stringify(w.name)}, "--steps", ${JSON.stringify(args.steps)}, "--warmup", ${JSON.stringify(args.warmup)}]`,
      `runpy.run_path(${JSON.stringify(peerScript(w))}, run_name="__main__")`,
      'print(json.dumps({"peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))',
    ].join('\n');
    const r = runJson(PYTHON, ['-c', py]);
    const main = r.lines.find((l) => l['workload'] === w.name);
    const rss = r.lines.find((l) => 'peakRssMB' in l && !('workload' in l));
    return main
      ? { line: { ...main, impl: 'pytorch', peakRssMB: rss?.['peakRssMB'] } }
      : { error: r.error ?? 'no output' };
  }
  // 'native-unfused': the native backend with @vtx/core's fused ops off (an A/B of the fused kernels);
  // 'native-bf16': with the bf16 GEMM
  const unfused = impl.endsWith('-unfused');
  const env = impl.endsWith('-bf16') ? { ...process.env, VTX_NATIVE_GEMM: 'bf16' } : process.env;
  const backend = impl.slice('vtx-'.length).replace(VARIANT, '');
  const cpu = backend === 'cpu';
  const r = runJson(
    NODE[0]!,
    [
      ...NODE.slice(1),
      here('./train-step.ts'),
      ...(unfused ? ['--no-fused'] : []),
      '--workload',
      w.name,
      '--backend',
      backend,
      '--steps',
      cpu ? '1' : args.steps,
      '--warmup',
      cpu ? '0' : args.warmup,
      ...(args['with-emulated'] ? ['--with-emulated'] : []),
    ],
    1800,
    env,
  );
  const line = r.lines.find((l) => l['workload'] === w.name);
  if (line && 'skipped' in line) return { error: String(line['skipped']) }; // an emulated GPU, not asked for
  return line ? { line } : { error: r.error ?? 'no output' };
}

if (sections.has('train') || sections.has('conv')) {
  emit({ bench: 'load', when: 'before', ...gate });
  if (!gate.quiet) console.error(`pnpm bench: ${gate.reason}`);
}

if (sections.has('train')) {
  const workloads = (await loadWorkloads()).filter((w) => !args.workload || w.name === args.workload);
  if (!workloads.length)
    throw new Error(`--workload '${args.workload}' is not in bench/peer/workloads.json, nor 'default'`);
  const rounds = Number(args.rounds);
  const summary: Record<string, Line> = {};
  for (const w of workloads) {
    // the flop count every implementation is credited with: the zoo model's closed-form training cost
    const { gflop, tokens } = workloadCost(w);
    if (torchMissing) emit({ workload: w.name, impl: 'pytorch', skipped: torchMissing });
    const impls = [...(torchMissing ? [] : ['pytorch']), ...backends.map((b) => `vtx-${b}`)];
    const seconds = new Map<string, number[]>(impls.map((i) => [i, []]));
    const last = new Map<string, Line>();
    const failed = new Set<string>();
    for (const [n, impl] of alternation(impls, rounds).entries()) {
      if (failed.has(impl)) continue;
      const r = runOnce(w, impl);
      if (!r.line) {
        failed.add(impl);
        emit({ workload: w.name, impl, skipped: r.error });
        continue;
      }
      const sec = r.line['secondsPerStep'] as number;
      seconds.get(impl)!.push(sec);
      last.set(impl, r.line);
      emit({ workload: w.name, impl, round: Math.floor(n / impls.length) + 1, secondsPerStep: sec });
    }
    const peer = seconds.get('pytorch')?.length ? summarize(seconds.get('pytorch')!) : undefined;
    const rows: Line = {};
    for (const impl of impls) {
      const times = seconds.get(impl)!;
      if (!times.length) continue;
      const s = summarize(times);
      const l = last.get(impl)!;
      const gflops = gflop / s.best;
      const out: Line = {
        workload: w.name,
        impl: l['impl'],
        params: l['params'],
        tokensPerStep: tokens,
        secondsPerStepBest: +s.best.toFixed(4),
        secondsPerStepMedian: +s.median.toFixed(4),
        rounds: s.rounds,
        stepsPerRound: Number(impl === 'vtx-cpu' ? 1 : args.steps),
        gflopPerStep: +gflop.toFixed(2),
        gflops: +gflops.toFixed(2),
        ...(l['adapter'] ? {} : { ofPeak: +(gflops / peak).toFixed(3) }), // the CPU's peak, not a GPU's
        peakRssMB: l['peakRssMB'],
        ...(l['adapter'] ? { adapter: l['adapter'] } : {}),
        ...(l['emulated'] ? { emulated: true } : {}),
        ...(impl === 'pytorch' ? {} : ratio(peer, s, gate, l['emulated'] ? String(l['adapter']) : undefined)),
      };
      emit(out);
      rows[impl] = {
        best: out['secondsPerStepBest'],
        median: out['secondsPerStepMedian'],
        ...('ratioBest' in out ? { ratioBest: out['ratioBest'], ratioMedian: out['ratioMedian'] } : {}),
      };
    }
    if (!args['with-cpu'])
      emit({
        workload: w.name,
        impl: 'vtx-cpu',
        skipped:
          'pure-JS cpu backend: minutes per step at ~0.5 GFLOP/s matmul; pass --with-cpu to measure one step',
      });
    summary[w.name] = rows;
  }
  const after = loadGate(os.loadavg()[0]!, m['cores'] as number);
  emit({
    bench: 'summary',
    loadBefore: gate.loadavg1m,
    loadAfter: after.loadavg1m,
    cores: gate.cores,
    ...(gate.quiet ? {} : { ratiosWithheld: gate.reason }),
    workloads: summary,
  });
}

// ---- convolutions -------------------------------------------------------------------------------------
/** One round of the conv bench for one implementation: a line per (shape, pass) with its `ms`, or why it failed. */
function convRound(impl: string): { lines: Line[]; error?: string } {
  const common = [
    '--steps',
    args.steps,
    '--warmup',
    args.warmup,
    ...(args.conv ? ['--conv', args.conv] : []),
  ];
  const r =
    impl === 'pytorch'
      ? runJson(PYTHON, [here('./peer/conv_reference.py'), ...common])
      : runJson(NODE[0]!, [...NODE.slice(1), here('./conv-step.ts'), '--backend', impl.slice(4), ...common]);
  const skipped = r.lines.find((l) => 'skipped' in l);
  if (skipped) return { lines: [], error: String(skipped['skipped']) };
  return {
    lines: r.lines.filter((l) => 'ms' in l),
    error: r.lines.length ? undefined : (r.error ?? 'no output'),
  };
}

if (sections.has('conv')) {
  const convs = loadConvs().filter((c) => !args.conv || c.name === args.conv);
  if (!convs.length) throw new Error(`--conv '${args.conv}' is not in bench/peer/convs.json`);
  if (torchMissing) emit({ bench: 'conv', impl: 'pytorch', skipped: torchMissing });
  const cpuBackends = backends.filter((b) => !VARIANT.test(b) && b !== 'webgpu' && b !== 'cpu');
  const impls = [...(torchMissing ? [] : ['pytorch']), ...cpuBackends.map((b) => `vtx-${b}`)];
  const ms = new Map<string, number[]>(); // `${impl} ${conv} ${pass}` -> ms per round
  const names = new Map<string, string>(); // impl -> the name its lines gave (with the torch version)
  const failed = new Set<string>();
  for (const [n, impl] of alternation(impls, Number(args.rounds)).entries()) {
    if (failed.has(impl)) continue;
    const r = convRound(impl);
    if (r.error) {
      failed.add(impl);
      emit({ bench: 'conv', impl, skipped: r.error });
      continue;
    }
    for (const l of r.lines) {
      const key = `${impl} ${String(l['conv'])} ${String(l['pass'])}`;
      ms.set(key, [...(ms.get(key) ?? []), l['ms'] as number]);
      names.set(impl, String(l['impl']));
      emit({ ...l, round: Math.floor(n / impls.length) + 1 });
    }
  }
  for (const c of convs)
    for (const pass of CONV_PASSES) {
      const peerMs = ms.get(`pytorch ${c.name} ${pass}`);
      const peer = peerMs ? summarize(peerMs) : undefined;
      for (const impl of impls) {
        const times = ms.get(`${impl} ${c.name} ${pass}`);
        if (!times) continue;
        const s = summarize(times);
        const gflops = convGflop(c) / (s.best / 1e3);
        emit({
          conv: c.name,
          pass,
          impl: names.get(impl),
          msBest: +s.best.toFixed(3),
          msMedian: +s.median.toFixed(3),
          rounds: s.rounds,
          gflop: +convGflop(c).toFixed(4),
          gflops: +gflops.toFixed(2),
          ofPeak: +(gflops / peak).toFixed(3),
          ...(impl === 'pytorch' ? {} : ratio(peer, s, gate)),
        });
      }
    }
  const after = loadGate(os.loadavg()[0]!, m['cores'] as number);
  emit({
    bench: 'conv-summary',
    loadBefore: gate.loadavg1m,
    loadAfter: after.loadavg1m,
    cores: gate.cores,
    ...(gate.quiet ? {} : { ratiosWithheld: gate.reason }),
  });
}

// ---- the other bench scripts --------------------------------------------------------------------------
if (sections.has('micro')) {
  for (const [script, extra] of [
    ['./core-micro.ts', ['--quick']],
    ['./data-loader.ts', []],
  ] as const) {
    if (!existsSync(here(script))) continue;
    const r = runJson(NODE[0]!, [...NODE.slice(1), here(script), ...extra], 1200);
    for (const l of r.lines) emit({ script: script.slice(2), ...l });
    if (r.error) emit({ script: script.slice(2), skipped: r.error });
  }
}
