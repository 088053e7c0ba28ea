/**
 * Run-time backend selection: `tensorflow` (tfjs-node-gpu, else tfjs-node) > `native` (@vtx/backend-native, the
 * threaded N-API kernels over the cpu backend) > `wasm` > `cpu`, overridable.
 *
 * tfjs-node(-gpu) are optional: their install downloads libtensorflow, and where that failed the package is
 * still linked but throws on import, so every candidate is tried with a dynamic `import()` and skipped with
 * a logged reason. `native` is skipped with its reason ("native unavailable: addon not built …") where the addon
 * could not be built or loaded. After `wasm` is chosen the training fixes in `./wasm-fixes.ts` are installed.
 * Browser-safe: Node-only packages are reached only through variable `import()` specifiers.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../types.js'; // registers gradients and chained ops
import { installWasmFixes } from './wasm-fixes.js';

export const BACKENDS = ['tensorflow', 'native', 'wasm', 'cpu', 'webgl', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export const DEFAULT_ORDER: readonly BackendName[] = ['tensorflow', 'native', 'wasm', 'cpu'];

export interface BackendLog {
  info(msg: string): void;
  warn(msg: string): void;
  /** Why each skipped backend did not start (a missing native addon's message, say): one line each. */
  debug?(msg: string): void;
}

export interface SelectBackendOptions {
  /** Use exactly this backend (from a `--backend` flag or `VTX_BACKEND`); fail if it cannot start. */
  override?: BackendName | undefined;
  /** Preference order when there is no override. */
  order?: readonly BackendName[];
  log?: BackendLog;
  /**
   * Loads the optional backend packages (tfjs-node(-gpu), @vtx/backend-native, webgl, webgpu) by name. Default: `import()` from
   * @vtx/core's own location, which under pnpm's strict layout cannot see them when they are dependencies of
   * the app package only; the app passes `(s) => import(s)` so they resolve from its node_modules. The wasm
   * backend, a dependency of @vtx/core, is always imported from here.
   */
  importer?: (specifier: string) => Promise<unknown>;
}

export interface BackendChoice {
  name: BackendName;
  /** Why each earlier candidate was skipped. */
  skipped: { name: BackendName; reason: string }[];
}

const silent: BackendLog = { info: () => undefined, warn: () => undefined };
// A variable specifier keeps bundlers and tsc from requiring the optional packages.
const defaultImport = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ specifier);

async function load(name: BackendName, dynImport: (specifier: string) => Promise<unknown>): Promise<void> {
  switch (name) {
    case 'tensorflow':
      try {
        await dynImport('@tensorflow/tfjs-node-gpu');
      } catch (gpuErr) {
        // A failed tfjs-node-gpu import (no binding, no CUDA) may have registered its kernels already; drop them
        // so tfjs-node's own kernels register (instead of 'already registered' warnings and the broken ones).
        forgetBackend('tensorflow');
        try {
          await dynImport('@tensorflow/tfjs-node');
        } catch (cpuErr) {
          forgetBackend('tensorflow');
          throw new Error(`tfjs-node-gpu: ${firstLine(gpuErr)}; tfjs-node: ${firstLine(cpuErr)}`);
        }
      }
      return;
    case 'native':
      // registers backend 'native' on import; throws "native unavailable: …" when the addon is missing
      await dynImport('@vtx/backend-native');
      return;
    case 'wasm':
      // a literal specifier: bundlers (Vite, esbuild) split it into a chunk, so selection works in a page too
      await import('@tensorflow/tfjs-backend-wasm');
      return;
    case 'webgl':
      await dynImport('@tensorflow/tfjs-backend-webgl');
      return;
    case 'webgpu':
      await dynImport('@tensorflow/tfjs-backend-webgpu');
      return;
    case 'cpu':
      return;
  }
}

function forgetBackend(name: string): void {
  for (const k of tf.getKernelsForBackend(name)) tf.unregisterKernel(k.kernelName, name);
  if (tf.findBackendFactory(name)) tf.removeBackend(name);
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0] ?? '';
}

/** Pick and initialise a backend; returns which one and why the others were skipped. */
export async function selectBackend(opts: SelectBackendOptions = {}): Promise<BackendChoice> {
  const log = opts.log ?? silent;
  if (opts.override) parseBackendName(opts.override, 'backend override');
  const order = opts.override ? [opts.override] : (opts.order ?? DEFAULT_ORDER);
  const skipped: BackendChoice['skipped'] = [];
  for (const name of order) {
    try {
      await load(name, opts.importer ?? defaultImport);
      if (!tf.findBackendFactory(name)) throw new Error('not registered after import');
      if (!(await tf.setBackend(name))) throw new Error('failed to initialise');
      await tf.ready();
      if (name === 'wasm') installWasmFixes();
      tf.env().set('PROD', true);
      // the reasons (long addon paths) at debug level: a person needs only the choice and what was passed over
      const passed = skipped.length ? ` (skipped: ${skipped.map((s) => s.name).join(', ')})` : '';
      log.info(`tfjs backend: ${name}${opts.override ? ' (override)' : ''}${passed}`);
      for (const s of skipped) log.debug?.(`tfjs backend ${s.name} skipped: ${s.reason}`);
      return { name, skipped };
    } catch (e) {
      skipped.push({ name, reason: firstLine(e) });
      if (opts.override) break;
    }
  }
  const reasons = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new Error(`no usable tfjs backend (${reasons})`);
}

/** Parse a user-given backend name (flag or env var) with a clear error. */
export function parseBackendName(value: string, where = 'backend'): BackendName {
  if ((BACKENDS as readonly string[]).includes(value)) return value as BackendName;
  throw new Error(`${where}: unknown backend '${value}', expected one of ${BACKENDS.join(', ')}`);
}
