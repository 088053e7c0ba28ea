/**
 * Core micro-benchmark: GFLOP/s of the matmuls a video transformer is made of, and of one pre-LN transformer
 * block forward + backward, on every available tfjs backend. Prints one JSON object per line.
 *
 *   node --conditions=@vtx/source --import tsx bench/core-micro.ts [--quick]
 *
 * Backends: `cpu`, `wasm` with vtx's fixes (selectBackend), and `wasm-stock` (no fixes) measured in a child
 * process, since the fixes cannot be uninstalled once registered. Not a test: no assertions, numbers vary
 * with machine load (printed as loadavg1m). `--quick` shortens the runs and the block's batch (B = 2).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { LayerNorm, Mlp, SelfAttention, selectBackend, setSeed } from '@vtx/core';

const quick = process.argv.includes('--quick');
const stockChild = process.argv.includes('--stock');

/** Run `fn` once to warm up, then until `minMs` has passed (at least 2, at most 10 runs); the best time. */
function time(fn: () => void, minMs = quick ? 300 : 1500): { ms: number; runs: number } {
  fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 2 || (performance.now() - start < minMs && times.length < 10)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return { ms: Math.min(...times), runs: times.length };
}

function emit(
  backend: string,
  bench: string,
  shape: string,
  flops: number,
  t: { ms: number; runs: number },
): void {
  const line = {
    backend,
    bench,
    shape,
    gflops: +(flops / t.ms / 1e6).toFixed(2),
    ms: +t.ms.toFixed(1),
    runs: t.runs,
  };
  console.log(JSON.stringify(line));
}

function matmulBench(
  backend: string,
  name: string,
  a: number[],
  b: number[],
  ta: boolean,
  tb: boolean,
): void {
  const [x, y] = [tf.randomNormal(a, 0, 1, 'float32', 1), tf.randomNormal(b, 0, 1, 'float32', 2)];
  const m = ta ? a.at(-1)! : a.at(-2)!;
  const k = ta ? a.at(-2)! : a.at(-1)!;
  const n = tb ? b.at(-2)! : b.at(-1)!;
  const batch = a.slice(0, -2).reduce((p, q) => p * q, 1);
  // void: a typed array returned from tf.tidy is walked element by element (seconds for 12 MB)
  const t = time(() => tf.tidy(() => void tf.matMul(x, y, ta, tb).dataSync()));
  emit(backend, name, `[${a}]${ta ? 'ᵀ' : ''} @ [${b}]${tb ? 'ᵀ' : ''}`, 2 * batch * m * n * k, t);
  tf.dispose([x, y]);
}

/** x + attn(LN(x)), then + mlp(LN(·)): forward and backward with respect to every weight and x. */
function blockBench(backend: string, b: number, n: number, d: number, heads: number): void {
  setSeed(0);
  const layers: tfl.layers.Layer[] = [
    new LayerNorm(),
    new SelfAttention({ heads }),
    new LayerNorm(),
    new Mlp(),
  ];
  const [ln1, attn, ln2, mlp] = layers as [LayerNorm, SelfAttention, LayerNorm, Mlp];
  const x = tf.variable(tf.randomNormal([b, n, d], 0, 1, 'float32', 3));
  const apply = (l: tfl.layers.Layer, t: tf.Tensor) => l.apply(t) as tf.Tensor;
  const forward = () => {
    const h = tf.add(x, apply(attn, apply(ln1, x)));
    return tf.add(h, apply(mlp, apply(ln2, h)));
  };
  tf.tidy(() => void forward()); // build
  const vars = [x, ...layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable))];
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(forward())), vars);
      value.dataSync();
      for (const g of Object.values(grads)) g.dataSync();
    });
  // forward: qkv 6·BND², proj 2·BND², mlp 16·BND², scores + weighted sum 4·BN²D; backward ≈ 2x forward
  const fwd = 24 * b * n * d * d + 4 * b * n * n * d;
  const t = time(step);
  emit(
    backend,
    'attention block fwd+bwd',
    `B=${b} N=${n} D=${d} heads=${heads} (LN+MHSA+MLP, residuals)`,
    3 * fwd,
    t,
  );
  for (const l of layers) l.dispose();
  x.dispose();
}

function suite(backend: string): void {
  matmulBench(backend, 'matmul 2-D', [1024, 1024], [1024, 1024], false, false);
  matmulBench(backend, 'matmul 2-D (transformer)', [2048, 384], [384, 1536], false, false);
  matmulBench(backend, 'matmul transposed-A (dW)', [2048, 384], [2048, 1536], true, false);
  matmulBench(backend, 'matmul transposed-B (dX)', [2048, 1536], [384, 1536], false, true);
  matmulBench(backend, 'batched matmul (attention A·V)', [24, 256, 256], [24, 256, 64], false, false);
  matmulBench(backend, 'batched matmul (attention Q·Kᵀ)', [24, 256, 64], [24, 256, 64], false, true);
  matmulBench(backend, 'matmul 3-D @ 2-D (broadcast)', [8, 256, 384], [384, 1536], false, false);
  blockBench(backend, quick ? 2 : 8, 256, 192, 3);
}

if (stockChild) {
  // stock wasm: register and initialise the backend without vtx's fixes
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
  tf.env().set('PROD', true);
  suite('wasm-stock');
} else {
  const cpus = os.cpus();
  console.log(
    JSON.stringify({
      machine: {
        cpu: cpus[0]?.model ?? 'unknown',
        cores: cpus.length,
        memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
        // other processes on a shared machine skew every number below
        loadavg1m: +os.loadavg()[0]!.toFixed(2),
      },
      node: process.version,
      tfjs: tf.version_core,
      quick,
    }),
  );
  for (const name of ['cpu', 'wasm'] as const) {
    const choice = await selectBackend({ override: name });
    suite(choice.name === 'wasm' ? 'wasm (vtx fixes)' : choice.name);
  }
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--stock', ...(quick ? ['--quick'] : [])],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (child.status !== 0)
    console.log(JSON.stringify({ backend: 'wasm-stock', error: `child exited with ${child.status}` }));
}
