/**
 * A run's `matmulPrecision`: the schema's default and error, the trainer applying it to the native backend (the
 * GEMM really rounds to bf16 under `medium` where the CPU has AVX512_BF16: products checked against float64
 * definitions), and every later start putting the exact GEMM back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@vtx/core';
import { ExperimentConfig, setMatmulPrecision, startBackend, train } from '@vtx/train';
import { nativeAvailable, tinyShapes, tinyVideoDiT, wasmRunsDir } from './helpers/tiny.js';

const dir = wasmRunsDir('matmul-precision');
const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream;
const hasNative = await nativeAvailable();
const hasBf16 = hasNative && (await import('@vtx/backend-native')).nativeAddon()!.info().bf16;
if (!hasNative) console.warn('\n!!! matmulPrecision on native: the addon is not built here: SKIPPED\n');
else if (!hasBf16)
  console.warn('\n!!! matmulPrecision medium: no AVX512_BF16 here, only the fp32 fallback checked\n');

/** Relative error of tf.matMul on the current backend against the float64 product of (optionally bf16-rounded) inputs. */
function matmulError(roundInputs: boolean): number {
  const rnd = mulberry32(3);
  const [m, k, n] = [16, 48, 8];
  const a = Float32Array.from({ length: m * k }, () => rnd() - 0.5);
  const b = Float32Array.from({ length: k * n }, () => rnd() - 0.5);
  const r = (x: number) => {
    if (!roundInputs) return x;
    const u = new Uint32Array(new Float32Array([x]).buffer);
    u[0] = ((u[0]! + 0x7fff + ((u[0]! >>> 16) & 1)) >>> 16) << 16; // nearest bfloat16, ties to even
    return new Float32Array(u.buffer)[0]!;
  };
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])).dataSync());
  let [num, den] = [0, 0];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += r(a[i * k + p]!) * r(b[p * n + j]!);
      num = Math.max(num, Math.abs(out[i * n + j]! - s));
      den = Math.max(den, Math.abs(s));
    }
  return num / den;
}

describe('matmulPrecision', () => {
  const cfg = (over: Record<string, unknown> = {}) => ({
    name: 'p',
    data: tinyShapes(join(dir, 'cache')),
    model: tinyVideoDiT,
    ...over,
  });

  it('defaults to highest; another value is an error naming the key and the choices', () => {
    expect(ExperimentConfig.parse(cfg()).matmulPrecision).toBe('highest');
    expect(ExperimentConfig.parse(cfg({ matmulPrecision: 'medium' })).matmulPrecision).toBe('medium');
    const bad = ExperimentConfig.safeParse(cfg({ matmulPrecision: 'low' }));
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['matmulPrecision']);
    expect(bad.error!.message).toMatch(/highest.*medium/s);
  });

  it('on a backend without a bf16 GEMM, medium computes fp32 and says so', async () => {
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
    await startBackend('wasm', log, 'medium');
    expect(lines.join('\n')).toMatch(/matmul precision medium: fp32 \(wasm has no bf16 GEMM\)/);
    expect(matmulError(false)).toBeLessThan(1e-5);
  });

  it.skipIf(!hasNative)(
    'a run with medium trains with the bf16 GEMM on native (where the CPU has it) and logs it; the next start puts fp32 back',
    async () => {
      const out = join(dir, 'medium');
      const s = await train(
        {
          ...cfg({ name: 'medium', backend: 'native', matmulPrecision: 'medium' }),
          diffusion: { steps: 100, samplingSteps: '2' },
          train: { steps: 2, logEvery: 1, checkpointEvery: 2 },
          eval: { batches: 1 },
          sample: { count: 1 },
          log: { tensorboard: false, progress: 'off' },
        },
        { out, terminal: quiet },
      );
      expect(s.status).toBe('completed');
      const log = readFileSync(join(out, 'log.jsonl'), 'utf8');
      expect(readFileSync(join(out, 'config.yaml'), 'utf8')).toMatch(/^matmulPrecision: medium$/m);
      if (hasBf16) {
        expect(log).toMatch(/matmul precision medium: bf16 inputs, fp32 accumulation/);
        expect(matmulError(true)).toBeLessThan(1e-5); // the trainer left the bf16 GEMM in place: rounded inputs
        expect(matmulError(false)).toBeGreaterThan(1e-4);
      } else expect(log).toMatch(/matmul precision medium: fp32 \(/);
      await startBackend('native'); // a later start without the key: exact again
      expect(matmulError(false)).toBeLessThan(1e-5);
      expect(await setMatmulPrecision('highest')).not.toBe('bf16');
    },
    120_000,
  );
});
