// Runs before every test file. Worker processes run many files one after another (vitest.config.ts, `isolate`), so
// this first puts back what a file may have changed in the process: the environment variables and working directory
// the worker started with, the `cpu` backend, seeded, the fused ops on (their default) and the native backend's exact
// GEMM (a run's `matmulPrecision: medium` switches it process-wide). Tests that need wasm or
// native switch explicitly. Built-in datasets a test builds without naming a cacheDir go to a temporary directory
// (VTX_CACHE_DIR, inherited by the vtx processes tests start), never into the repository's .vtx-cache/.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import { setFusedOps } from '@vtx/core'; // registers gradients, chained ops and the vtx layers

const start = ((
  globalThis as { __vtxWorkerStart?: { env: NodeJS.ProcessEnv; cwd: string } }
).__vtxWorkerStart ??= { env: { ...process.env }, cwd: process.cwd() });
const ours = (key: string) => !key.startsWith('VITEST'); // vitest's own variables are vitest's to set per file
for (const key of Object.keys(process.env)) if (ours(key) && !(key in start.env)) delete process.env[key];
for (const [key, value] of Object.entries(start.env)) if (ours(key)) process.env[key] = value;
if (process.cwd() !== start.cwd) process.chdir(start.cwd);

tf.env().set('PROD', true);
setFusedOps(true);
await tf.setBackend('cpu');
await tf.ready();
if (tf.findBackendFactory('native')) (await import('@vtx/backend-native')).setMatmulPrecision('highest');

const cache = mkdtempSync(join(tmpdir(), 'vtx-test-cache-'));
process.env['VTX_CACHE_DIR'] = cache;
afterAll(() => rmSync(cache, { recursive: true, force: true }));
