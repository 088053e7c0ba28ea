/**
 * `pnpm bench`: the project's benchmarks in one invocation, one JSON object per line.
 *
 *   1. machine: CPU model, cores, clock, SIMD, fp32 peak (cores x GHz x 32 flop/cycle for AVX2 FMA).
 *   2. matmul-1024: GFLOP/s of a 1024x1024 matmul on every available backend (and PyTorch), vs that peak.
 *   3. training steps: the four workloads of bench/peer/workloads.json as full steps (fresh batch, forward,
 *      backward, AdamW) on every available backend, and the PyTorch peer (bench/peer/torch_reference.py, same
 *      shapes, batch, AdamW) when `/usr/bin/python3 -c "import torch"` works; each line has seconds/step,
 *      tokens/s, achieved GFLOP/s (from modelCost's training flops, the same count for every implementation),
 *      peak RSS and ratioToPyTorch = PyTorch's seconds per step / ours (> 1: faster than PyTorch).
 *   4. the other bench scripts: bench/core-micro.ts --quick and bench/data-loader.ts, when present.
 *
 * Every measurement runs in its own process (clean peak RSS; backend patches cannot be undone). The pure-JS
 * `cpu` backend needs minutes per step here and is skipped unless `--with-cpu` (then 1 step, no warm-up).
 * `webgpu` lines name the adapter; on a software one (SwiftShader) they are marked `emulated`, its training steps
 * are skipped unless `--with-emulated`, and they are never compared with PyTorch nor counted as the best.
 *
 *   pnpm bench [--only machine,matmul,train,micro] [--workload NAME] [--backends native,wasm,webgpu]
 *              [--steps 5] [--warmup 2] [--with-cpu] [--with-emulated] [--no-torch]
 * Benchmarks are not tests: no assertions; numbers move with machine load (loadavg is printed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadWorkloads, workloadCost } from './workloads.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    workload: { type: 'string' },
    backends: { type: 'string', default: 'native,wasm,webgpu' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    'with-cpu': { type: 'boolean', default: false },
    'with-emulated': { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false },
  },
});

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const sections = new Set((args.only ?? 'machine,matmul,train,micro').split(','));
const PYTHON = '/usr/bin/python3';
const NODE = [process.execPath, '--conditions=@vtx/source', '--import', 'tsx'];

type Line = Record<string, unknown>;
const emit = (line: Line) => console.log(JSON.stringify(line));

/** Run a command; its JSON stdout lines, or the reason it failed. */
function runJson(cmd: string, argv: string[], timeoutS = 1800): { lines: Line[]; error?: string } {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 64 << 20 });
  const lines = (r.stdout ?? '')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
  if (r.status === 0) return { lines };
  const tail = `${r.stderr ?? ''}`.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
  return { lines, error: r.error ? r.error.message : `exit ${r.status}: ${tail.slice(0, 300)}` };
}

// ---- machine ------------------------------------------------------------------------------------------
function machine(): Line & { peakAvx2: number } {
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
    peakAvx2,
  };
}

function torchAvailable(): string | null {
  if (args['no-torch']) return '--no-torch';
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'python3-torch not installed (bench/install-peer.sh)';
}

const m = machine();
const { peakAvx2, ...machineLine } = m;
if (sections.has('machine')) emit(machineLine);
const torchMissing = torchAvailable();
const backends = args.backends.split(',').filter(Boolean);
if (args['with-cpu']) backends.push('cpu');

// ---- matmul 1024 --------------------------------------------------------------------------------------
if (sections.has('matmul')) {
  for (const backend of backends) {
    const r = runJson(
      NODE[0]!,
      [...NODE.slice(1), here('./train-step.ts'), '--matmul', '--backend', backend],
      600,
    );
    for (const l of r.lines)
      emit(
        l['adapter'] && !l['emulated'] // a GPU: the CPU's peak says nothing about it
          ? l
          : { ...l, peakAvx2Gflops: peakAvx2, ofPeak: +((l['gflops'] as number) / peakAvx2).toFixed(3) },
      );
    if (r.error) emit({ bench: 'matmul-1024', backend, skipped: r.error });
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
      emit({ ...l, peakAvx2Gflops: peakAvx2, ofPeak: +((l['gflops'] as number) / peakAvx2).toFixed(3) });
  }
}

// ---- training steps -----------------------------------------------------------------------------------
if (sections.has('train')) {
  const workloads = loadWorkloads().filter((w) => !args.workload || w.name === args.workload);
  if (!workloads.length) throw new Error(`--workload '${args.workload}' is not in bench/peer/workloads.json`);
  const summary: Record<string, Line> = {};
  for (const w of workloads) {
    // the flop count every implementation is credited with: the zoo model's closed-form training cost
    const { gflop, tokens } = workloadCost(w);
    let torch: Line | undefined;
    if (torchMissing) emit({ workload: w.name, impl: 'pytorch', skipped: torchMissing });
    else {
      const py = [
        'import json, resource, runpy, sys',
        `sys.argv = ["torch_reference.py", "--workload", ${JSON.stringify(w.name)}, "--steps", ${JSON.stringify(args.steps)}, "--warmup", ${JSON.stringify(args.warmup)}]`,
        `runpy.run_path(${JSON.stringify(here('./peer/torch_reference.py'))}, run_name="__main__")`,
        'print(json.dumps({"peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))',
      ].join('\n');
      const r = runJson(PYTHON, ['-c', py]);
      const main = r.lines.find((l) => l['workload'] === w.name);
      const rss = r.lines.find((l) => 'peakRssMB' in l && !('workload' in l));
      if (main) {
        const sec = main['secondsPerStep'] as number;
        torch = {
          ...main,
          gflopPerStep: +gflop.toFixed(2),
          gflops: +(gflop / sec).toFixed(2),
          peakRssMB: rss?.['peakRssMB'],
          ratioToPyTorch: 1,
        };
        emit(torch);
      } else emit({ workload: w.name, impl: 'pytorch', skipped: r.error ?? 'no output' });
    }
    let best: Line | undefined;
    for (const backend of backends) {
      const cpu = backend === 'cpu';
      const r = runJson(NODE[0]!, [
        ...NODE.slice(1),
        here('./train-step.ts'),
        '--workload',
        w.name,
        '--backend',
        backend,
        '--steps',
        cpu ? '1' : args.steps,
        '--warmup',
        cpu ? '0' : args.warmup,
        ...(args['with-emulated'] ? ['--with-emulated'] : []),
      ]);
      const line = r.lines.find((l) => l['workload'] === w.name);
      if (!line || 'skipped' in line) {
        emit(line ?? { workload: w.name, impl: `vtx-${backend}`, skipped: r.error ?? 'no output' });
        continue;
      }
      const sec = line['secondsPerStep'] as number;
      const out: Line = {
        ...line,
        tokensPerStep: tokens,
        peerParams: torch?.['params'],
        ...(torch && !line['emulated']
          ? { ratioToPyTorch: +((torch['secondsPerStep'] as number) / sec).toFixed(3) }
          : {}),
      };
      emit(out);
      if (line['emulated']) continue; // a CPU emulation of a GPU: never the best, never against PyTorch
      if (!best || sec < (best['secondsPerStep'] as number)) best = out;
    }
    if (!args['with-cpu'])
      emit({
        workload: w.name,
        impl: 'vtx-cpu',
        skipped:
          'pure-JS cpu backend: minutes per step at ~0.5 GFLOP/s matmul; pass --with-cpu to measure one step',
      });
    if (best)
      summary[w.name] = {
        best: best['impl'],
        secondsPerStep: best['secondsPerStep'],
        ratioToPyTorch: best['ratioToPyTorch'],
      };
  }
  emit({ bench: 'summary', loadavg1m: +os.loadavg()[0]!.toFixed(2), workloads: summary });
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
