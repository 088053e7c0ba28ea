/**
 * The fused grid attention against the composed one: forward + backward of one `gridAttention` call at each
 * workload's attention shapes on 'native', alternating in one process between the composed stock ops
 * (`setFusedOps(false)`) and the fused kernel with each implementation of its inner loops (`setAttention`:
 * avx512 where the CPU has it, generic). One JSON line per shape with wall and process CPU milliseconds per call
 * (best and median over rounds), then the load average. On a loaded machine the CPU time is the steadier of the
 * two; neither is a quotable speed there.
 *
 *   node --conditions=@vtx/source --import tsx bench/attention-ab.ts [--rounds 7] [--reps 5] [--only default-tiny]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { nativeAddon } from '@vtx/backend-native';
import { gridAttention, selectBackend, setFusedOps, type GridAxis } from '@vtx/core';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    reps: { type: 'string', default: '5' },
    only: { type: 'string' },
  },
});
const fromTrain = createRequire(new URL('../packages/train/package.json', import.meta.url));
const importer = (s: string) => import(pathToFileURL(fromTrain.resolve(s)).href);
await selectBackend({ override: 'native', importer });
const addon = nativeAddon()!;
const initial = addon.info().attention;
const arms = ['composed', ...['avx512', 'generic'].filter((i) => addon.setAttention(i))];
addon.setAttention(initial);

// [name, batch, t, hw, heads, dh, axis]: the attention of each workload's blocks (bench/peer/workloads.json)
const SHAPES: [string, number, number, number, number, number, GridAxis][] = [
  ['default-tiny', 32, 4, 16, 4, 32, 'joint'],
  ['vit-ti4-cifar', 32, 1, 64, 3, 64, 'joint'],
  ['dit-s4-latent32', 8, 1, 64, 6, 64, 'joint'],
  ['video-dit-tiny space', 8, 8, 64, 3, 64, 'space'],
  ['video-dit-tiny time', 8, 8, 64, 3, 64, 'time'],
];

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
for (const [name, b, t, hw, heads, dh, axis] of SHAPES.filter((s) => !args.only || s[0] === args.only)) {
  const n = t * hw;
  const qkv = tf.randomNormal([b, n, 3 * heads * dh], 0, 1, 'float32', 1);
  const w = tf.randomNormal([b, n, heads * dh], 0, 1, 'float32', 2);
  const f = (x: tf.Tensor) => tf.sum(tf.mul(gridAttention(x, heads, axis, [t, hw]), w));
  const grad = tf.grad(f);
  const res: Record<string, { wall: number[]; cpu: number[] }> = {};
  for (let r = 0; r < Number(args.rounds); r++)
    for (const arm of arms) {
      setFusedOps(arm !== 'composed');
      if (arm !== 'composed') addon.setAttention(arm);
      tf.tidy(() => void grad(qkv).dataSync()); // warm (void: tidy would walk a returned array)
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < Number(args.reps); i++) tf.tidy(() => void grad(qkv).dataSync());
      const cpu = process.cpuUsage(c0);
      const e = (res[arm === 'composed' ? arm : `fused-${arm}`] ??= { wall: [], cpu: [] });
      e.wall.push((performance.now() - t0) / Number(args.reps));
      e.cpu.push((cpu.user + cpu.system) / 1e3 / Number(args.reps));
    }
  const line = Object.fromEntries(
    Object.entries(res).map(([k, e]) => [
      k,
      {
        wallMsBest: +Math.min(...e.wall).toFixed(2),
        wallMsMedian: +median(e.wall).toFixed(2),
        cpuMsBest: +Math.min(...e.cpu).toFixed(2),
        cpuMsMedian: +median(e.cpu).toFixed(2),
      },
    ]),
  );
  console.log(JSON.stringify({ attention: name, b, t, hw, heads, dh, axis, ...line }));
}
addon.setAttention(initial);
setFusedOps(true);
console.log(JSON.stringify({ load: (await import('node:os')).loadavg().map((x) => +x.toFixed(2)) }));
