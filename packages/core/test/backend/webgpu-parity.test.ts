/**
 * Every @vtx/core layer on `webgpu` agrees with `cpu`, forward and backward (the output and the gradient of a
 * fixed random projection with respect to every weight and the input), from the same weights and inputs.
 * Runs on SwiftShader where Chromium is installed (see ./webgpu-env.ts), else skips with the reason.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { selectBackend, webGpuFixesInstalled } from '@vtx/core';
import { randn, relErr } from '../helpers.js';
import { forwardBackward, layerCases, moreLayerCases } from './layer-cases.js';
import { adapterLabel, importer, webGpuTests } from './webgpu-env.js';

/** Relative to each tensor's largest entry: float32 on both sides, different summation orders. */
const TOL = 1e-5;

describe.skipIf(!webGpuTests.adapter)(`cpu / webgpu parity (${adapterLabel()})`, () => {
  const cases = [...layerCases(), ...moreLayerCases()];
  const onCpu = new Map<string, Float32Array[]>();
  const onGpu = new Map<string, Float32Array[]>();

  beforeAll(async () => {
    await tf.setBackend('cpu');
    for (const c of cases) onCpu.set(c.name, await forwardBackward(c));
    await selectBackend({ override: 'webgpu', importer });
    for (const c of cases) onGpu.set(c.name, await forwardBackward(c));
  }, 600_000);

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(cases.map((c) => c.name))(`%s agrees to ${TOL} relative`, (name) => {
    const a = onCpu.get(name)!;
    const b = onGpu.get(name)!;
    expect(b).toHaveLength(a.length);
    a.forEach((ref, i) => {
      expect(relErr(b[i]!, ref), `${name} tensor ${i}`).toBeLessThan(TOL);
      expect(
        ref.some((v) => v !== 0),
        `${name} tensor ${i} is all zero`,
      ).toBe(true);
    });
  });
});

describe.skipIf(!webGpuTests.adapter)(`webgpu selection and fixes (${adapterLabel()})`, () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('a software adapter is skipped with its name unless webgpu is asked for by name', async () => {
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
    const software = webGpuTests.adapter!.software;
    const unnamed = await selectBackend({ importer, order: ['webgpu', 'cpu'], log });
    expect(unnamed.name).toBe(software ? 'cpu' : 'webgpu');
    if (software)
      expect(unnamed.skipped[0]!.reason).toBe(
        `only a software adapter (${webGpuTests.adapter!.description}: emulated on the CPU, slow); use --backend webgpu to force it`,
      );
    const named = await selectBackend({ importer, override: 'webgpu', log });
    expect(named).toEqual({ name: 'webgpu', skipped: [], adapter: webGpuTests.adapter });
    expect(lines.at(-1)).toBe(
      `tfjs backend: webgpu on ${webGpuTests.adapter!.description}${software ? ' (software, emulated)' : ''} (override)`,
    );
    expect(webGpuFixesInstalled()).toBe(true);
  });

  // the shapes the stock kernels get wrong: rank-5 binary ops with a 1-D operand under 128 (WGSL that does not
  // compile, garbage out) and rank-5 Select ("not yet supported"); the reference is the definition on the host
  it.each([
    ['add', [2, 3, 2, 2, 5], [5]],
    ['mul', [5], [2, 3, 2, 2, 5]],
    ['sub', [2, 1, 2, 2, 1], [3]],
    ['div', [1, 2, 3, 2, 2, 4], [4]],
  ] as const)('%s of %j and %j equals the elementwise definition', async (op, as, bs) => {
    await selectBackend({ importer, override: 'webgpu' });
    const a = randn([...as], 21);
    const b = tf.add(randn([...bs], 22), 3); // away from 0 for div
    const [av, bv] = [await a.data(), await b.data()];
    const y = tf[op](a, b);
    const shape = tf.backend_util.assertAndGetBroadcastShape([...as], [...bs]);
    expect(y.shape).toEqual(shape);
    const f = {
      add: (x: number, z: number) => x + z,
      mul: (x: number, z: number) => x * z,
      sub: (x: number, z: number) => x - z,
      div: (x: number, z: number) => x / z,
    }[op];
    const ref = tf.buffer(shape);
    const at = (v: Float32Array | Int32Array | Uint8Array, s: readonly number[], idx: number[]) =>
      v[idx.slice(idx.length - s.length).reduce((flat, i, d) => flat * s[d]! + (s[d] === 1 ? 0 : i), 0)]!;
    for (let i = 0; i < ref.size; i++) {
      const idx = ref.indexToLoc(i);
      ref.values[i] = f(at(av, as, idx), at(bv, bs, idx));
    }
    expect(relErr(await y.data(), ref.values)).toBeLessThan(1e-6);
  });

  it('where on rank-5 operands equals the elementwise choice', async () => {
    await selectBackend({ importer, override: 'webgpu' });
    const a = randn([2, 2, 3, 2, 4], 23);
    const b = randn([2, 2, 3, 2, 4], 24);
    const c = tf.greater(a, b);
    const y = tf.where(c, a, b);
    const [av, bv] = [await a.data(), await b.data()];
    expect(Array.from(await y.data())).toEqual(Array.from(av, (v, i) => Math.max(v, bv[i]!)));
    // its gradient, through clipByValue: 1 inside the range, 0 outside
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.clipByValue(x, -0.5, 0.5)))(a);
    expect(Array.from(await g.data())).toEqual(Array.from(av, (v) => (v >= -0.5 && v <= 0.5 ? 1 : 0)));
  });

  it('sin and cos over [-1000, 1000] rad are within 2e-7 of the float64 values of the float32 arguments', async () => {
    await selectBackend({ importer, override: 'webgpu' });
    const xs = Float32Array.from({ length: 20001 }, (_, i) => (i - 10000) * 0.1 + 0.0123);
    const x = tf.tensor1d(xs);
    const [sin, cos] = [await tf.sin(x).data(), await tf.cos(x).data()];
    let worst = 0;
    xs.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(sin[i]! - Math.sin(v)), Math.abs(cos[i]! - Math.cos(v)));
    });
    expect(worst).toBeLessThan(2e-7); // the stock kernels (WGSL sin/cos) were ~2e-4 off on SwiftShader
  });

  it('addN of more terms than a shader can bind (the global gradient norm) equals the sum', async () => {
    await selectBackend({ importer, override: 'webgpu' });
    const terms = Array.from({ length: 23 }, (_, i) => randn([3, 5], 40 + i));
    const host = await Promise.all(terms.map((t) => t.data()));
    const ref = Array.from({ length: 15 }, (_, j) => host.reduce((s, v) => s + v[j]!, 0));
    const buffers = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const before = buffers();
    const y = tf.addN(terms);
    expect(relErr(await y.data(), ref)).toBeLessThan(1e-6);
    y.dispose();
    expect(buffers()).toBe(before); // the partial sums are released
  });

  it('a synchronous read of a tensor on the GPU says what to use instead', async () => {
    await selectBackend({ importer, override: 'webgpu' });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined); // tfjs's slow-readSync warning
    const y = tf.square(randn([4, 4], 50));
    expect(() => y.dataSync()).toThrow(/cannot read a tensor synchronously .*use await data\(\)/);
    warn.mockRestore();
    expect((await y.data()).length).toBe(16);
  });
});
