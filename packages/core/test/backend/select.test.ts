import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  BACKENDS,
  DEFAULT_ORDER,
  parseBackendName,
  selectBackend,
  wasmFixesInstalled,
  type BackendName,
} from '@vtx/core';

afterAll(async () => {
  await tf.setBackend('cpu');
});

function recorder() {
  const lines: string[] = [];
  return {
    lines,
    log: {
      info: (m: string) => lines.push(m),
      warn: (m: string) => lines.push(`warn: ${m}`),
      debug: (m: string) => lines.push(`debug: ${m}`),
    },
  };
}

describe('selectBackend', () => {
  it('an override picks exactly that backend and logs it', async () => {
    const { lines, log } = recorder();
    expect(await selectBackend({ override: 'cpu', log })).toEqual({ name: 'cpu', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect(lines).toEqual(['tfjs backend: cpu (override)']);
  });

  it('an unknown name is a clear error, from the override and from the flag parser', async () => {
    await expect(selectBackend({ override: 'tpu' as BackendName })).rejects.toThrow(
      `backend override: unknown backend 'tpu', expected one of ${BACKENDS.join(', ')}`,
    );
    expect(() => parseBackendName('gpu', 'VTX_BACKEND')).toThrow("VTX_BACKEND: unknown backend 'gpu'");
    expect(parseBackendName('wasm')).toBe('wasm');
  });

  it('an override that cannot start fails with the reason instead of falling back', async () => {
    await expect(selectBackend({ override: 'webgpu' })).rejects.toThrow(/^no usable tfjs backend \(webgpu: /);
  });

  // resolve the optional backends from the app package that depends on them, as the vtx CLI does
  const fromTrain = createRequire(new URL('../../../train/package.json', import.meta.url));
  const importer = (s: string) => import(pathToFileURL(fromTrain.resolve(s)).href);

  // Whether tfjs-node's native binding is on this machine: its install script fetches libtensorflow, which fails
  // where there is no route to it (the package is then linked without lib/napi-v*/tfjs_binding.node).
  const tfjsNode = dirname(fromTrain.resolve('@tensorflow/tfjs-node/package.json'));
  const bindingBuilt =
    existsSync(join(tfjsNode, 'lib')) &&
    readdirSync(join(tfjsNode, 'lib')).some((d) => existsSync(join(tfjsNode, 'lib', d, 'tfjs_binding.node')));

  it("'tensorflow' starts where tfjs-node's binding is built, else is skipped with its reason (one debug line)", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { lines, log } = recorder();
    const choice = await selectBackend({ log, importer, order: ['tensorflow', 'wasm', 'cpu'] });
    // tfjs-node-gpu's failed import registers its kernels; they are dropped before tfjs-node registers its own
    const reRegistered = warn.mock.calls.filter((c) => String(c[0]).includes('already registered'));
    warn.mockRestore();
    expect(reRegistered).toEqual([]);
    if (bindingBuilt) {
      expect(choice.name).toBe('tensorflow');
      expect(lines[0]).toMatch(/^tfjs backend: tensorflow/);
    } else {
      expect(tf.getKernelsForBackend('tensorflow')).toEqual([]);
      expect(choice.name).toBe('wasm');
      expect(tf.getBackend()).toBe('wasm');
      expect(wasmFixesInstalled()).toBe(true);
      expect(choice.skipped.map((s) => s.name)).toEqual(['tensorflow']);
      expect(choice.skipped[0]!.reason).toMatch(/tfjs-node: .*tfjs_binding\.node/);
      // one short line for people; the addon's long message only at debug level
      expect(lines).toHaveLength(2);
      expect(lines[0]).toBe('tfjs backend: wasm (skipped: tensorflow)');
      expect(lines[1]).toMatch(/^debug: tfjs backend tensorflow skipped: tfjs-node-gpu: .*tfjs-node: .*/);
    }
    await tf.setBackend('cpu');
  });

  it("the default order takes the first backend that starts: a hardware 'webgpu', else 'native' where its addon loads, else 'wasm'", async () => {
    expect(DEFAULT_ORDER).toEqual(['tensorflow', 'webgpu', 'native', 'wasm', 'cpu']);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const nativeLoads = await importer('@vtx/backend-native').then(
      () => true,
      () => false,
    );
    const choice = await selectBackend({ importer });
    warn.mockRestore();
    if (choice.name === 'webgpu') {
      // a machine with a GPU driver: only a hardware adapter is taken without being named
      expect(choice.adapter?.software).toBe(false);
      expect(choice.skipped.map((s) => s.name)).toEqual(['tensorflow']);
    } else {
      expect(choice.name).toBe(nativeLoads ? 'native' : 'wasm');
      expect(choice.skipped.map((s) => s.name)).toEqual(
        nativeLoads ? ['tensorflow', 'webgpu'] : ['tensorflow', 'webgpu', 'native'],
      );
      // no Vulkan driver at all (found before Dawn is created, or by Dawn), or only a software one (SwiftShader
      // where VK_ICD_FILENAMES names it)
      expect(choice.skipped[1]!.reason).toMatch(
        /^(no Vulkan driver|no WebGPU adapter|only a software adapter)/,
      );
    }
    for (const s of choice.skipped) expect(s.reason.length).toBeGreaterThan(0);
    await tf.setBackend('cpu');
  });

  it('without an importer the optional packages are looked up from @vtx/core and skipped with that reason', async () => {
    const choice = await selectBackend({ order: ['tensorflow', 'cpu'] });
    expect(choice.name).toBe('cpu');
    expect(choice.skipped[0]!.reason).toMatch(/tfjs-node-gpu: .*; tfjs-node: /);
  });
});
