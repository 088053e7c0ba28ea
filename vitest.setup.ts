// Every test file starts on the pure-JS `cpu` backend, seeded; tests that need wasm switch explicitly. Built-in
// datasets a test builds without naming a cacheDir go to a temporary directory (VTX_CACHE_DIR, inherited by the
// vtx processes tests start), never into the repository's .vtx-cache/.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import '@vtx/core'; // registers gradients, chained ops and the vtx layers

tf.env().set('PROD', true);
await tf.setBackend('cpu');
await tf.ready();

const cache = mkdtempSync(join(tmpdir(), 'vtx-test-cache-'));
process.env['VTX_CACHE_DIR'] = cache;
afterAll(() => rmSync(cache, { recursive: true, force: true }));
