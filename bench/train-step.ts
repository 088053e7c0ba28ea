/**
 * One (workload, backend) measurement in its own process (clean peak RSS; wasm fixes cannot be uninstalled):
 * warm-up steps, then timed full training steps; prints one JSON line. With `--profile`, prints the kernels by
 * total time over one step (tf.profile) and the kernel count instead; with `--curve N`, the losses of N steps;
 * with `--matmul`, the 1024x1024 matmul GFLOP/s. `--no-fused` turns @vtx/core's fused ops off (setFusedOps),
 * `--no-fused-attention` keeps the attention composed (the rest fused). On `webgpu` every line names the adapter, and a software one
 * (SwiftShader) is marked `emulated`: its training steps are timed only with `--with-emulated` (many seconds each,
 * and they say nothing about a GPU).
 *
 *   node --conditions=@vtx/source --import tsx bench/train-step.ts --workload vit-ti4-cifar --backend native
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { parseBackendName, selectBackend, setFusedOps, setSeed } from '@vtx/core';
import { printKernelProfile } from './kernel-profile.js';
import { loadWorkloads, trainStep } from './workloads.js';

const { values: args } = parseArgs({
  options: {
    workload: { type: 'string' },
    backend: { type: 'string', default: 'native' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    profile: { type: 'boolean', default: false },
    matmul: { type: 'boolean', default: false },
    // the fused transformer ops of @vtx/core off: stock tfjs ops composed on every backend (A/B runs)
    'no-fused': { type: 'boolean', default: false },
    // the fused grid attention off, the other fused ops on (@vtx/core: setFusedOps(true, { attention: false }))
    'no-fused-attention': { type: 'boolean', default: false },
    // print the loss of each of N steps from the same seed instead of timing (fused vs composed curves)
    curve: { type: 'string' },
    // time the training steps on a software GPU adapter too (SwiftShader: a CPU emulation)
    'with-emulated': { type: 'boolean', default: false },
  },
});

const backend = parseBackendName(args.backend, '--backend');
// the optional backend packages (webgpu, the native addon) resolve from @vtx/train, the package that depends on them
const fromTrain = createRequire(new URL('../packages/train/package.json', import.meta.url));
const importer = (s: string) => import(pathToFileURL(fromTrain.resolve(s)).href);
const started = await selectBackend({ override: backend, importer }).catch((e: Error) => {
  // no such backend here (no adapter, no addon): one line saying why, as the bench prints skipped lines
  const what = args.matmul
    ? { bench: 'matmul-1024', backend }
    : { workload: args.workload, impl: `vtx-${backend}` };
  console.log(JSON.stringify({ ...what, skipped: e.message }));
  process.exit(0);
});
const { adapter } = started;
/** On webgpu: which adapter, and whether it is a CPU emulation (never compared with PyTorch). */
const gpu: { adapter?: string; emulated?: true } = adapter
  ? { adapter: adapter.description, ...(adapter.software ? { emulated: true as const } : {}) }
  : {};
setSeed(0);
setFusedOps(!args['no-fused'], { attention: !args['no-fused-attention'] });

if (args.matmul) {
  const n = 1024;
  const [a, b] = [tf.randomNormal([n, n], 0, 1, 'float32', 1), tf.randomNormal([n, n], 0, 1, 'float32', 2)];
  // read back with data(): webgpu in Node has no synchronous readback
  const run = async () => {
    const y = tf.matMul(a, b);
    await y.data();
    y.dispose();
  };
  await run();
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < 3 || (performance.now() - t0 < 3000 && times.length < 20)) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  const ms = Math.min(...times);
  console.log(
    JSON.stringify({
      bench: 'matmul-1024',
      backend,
      ...gpu,
      ms: +ms.toFixed(2),
      gflops: +((2 * n ** 3) / ms / 1e6).toFixed(1),
    }),
  );
  process.exit(0);
}

const w = (await loadWorkloads()).find((x) => x.name === args.workload);
if (!w) throw new Error(`--workload '${args.workload}' is not in bench/peer/workloads.json, nor 'default'`);
if (gpu.emulated && !args['with-emulated']) {
  const why = `software adapter (${gpu.adapter}): a GPU emulated on the CPU; pass --with-emulated to time it`;
  console.log(JSON.stringify({ workload: w.name, impl: `vtx-${backend}`, ...gpu, skipped: why }));
  process.exit(0);
}
const s = trainStep(w);

if (args.curve) {
  const losses: number[] = [];
  for (let i = 0; i < Number(args.curve); i++) losses.push(await s.step());
  console.log(JSON.stringify({ workload: w.name, backend, fused: !args['no-fused'], losses }));
  process.exit(0);
}

if (args.profile) {
  await s.step();
  const prof = await tf.profile(() => s.step());
  printKernelProfile(prof, { workload: w.name, backend, fused: !args['no-fused'] });
  process.exit(0);
}

const warmup = Number(args.warmup);
const steps = Number(args.steps);
let loss = NaN;
for (let i = 0; i < warmup; i++) loss = await s.step();
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < steps; i++) loss = await s.step();
const sec = (performance.now() - t0) / 1000 / steps;
// CPU seconds of this process (every thread) per step: on a loaded machine it moves less than the wall clock
const cpu = process.cpuUsage(cpu0);
const cpuSec = (cpu.user + cpu.system) / 1e6 / steps;
console.log(
  JSON.stringify({
    workload: w.name,
    impl: `vtx-${backend}${args['no-fused'] ? '-unfused' : args['no-fused-attention'] ? '-composed-attention' : ''}${process.env['VTX_NATIVE_GEMM'] === 'bf16' ? '-bf16' : ''}`,
    ...gpu,
    params: s.params,
    tokensPerStep: s.tokens,
    secondsPerStep: +sec.toFixed(4),
    cpuSecondsPerStep: +cpuSec.toFixed(4),
    tokensPerSecond: +(s.tokens / sec).toFixed(1),
    gflopPerStep: +s.gflop.toFixed(2),
    gflops: +(s.gflop / sec).toFixed(2),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    loss: +loss.toFixed(4),
    numTensors: tf.memory().numTensors,
  }),
);
