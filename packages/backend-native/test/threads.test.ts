import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { unavailable } from './helpers.js';

// The pool's size is fixed at the first parallel kernel; a fresh process per setting.
function poolThreads(env: Record<string, string>): number {
  const script =
    "const m = await import('@vtx/backend-native'); const tf = await import('@tensorflow/tfjs-core');" +
    "await tf.setBackend('native'); tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync();" +
    'console.log(m.nativeAddon().info().threads);';
  const r = spawnSync(
    process.execPath,
    ['--conditions=@vtx/source', '--import', 'tsx', '--input-type=module', '-e', script],
    { env: { ...process.env, ...env }, encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim().split('\n').pop());
}

describe.skipIf(unavailable)('native thread pool', () => {
  it('takes its size from VTX_THREADS (data-parallel ranks on one machine divide its cores)', () => {
    expect(poolThreads({ VTX_THREADS: '1' })).toBe(1);
    expect(poolThreads({ VTX_THREADS: '3' })).toBe(3);
    // garbage is ignored: the machine's cores
    expect(poolThreads({ VTX_THREADS: 'many' })).toBeGreaterThanOrEqual(1);
  });
});
