/**
 * `pnpm test:soak`: the long-run soak test (thousands of optimizer steps on a tiny model; tensor count, wasm heap
 * and RSS must stay flat). `pnpm test` runs a short version of the same file (VTX_SOAK unset).
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@vtx/source'] },
  ssr: { resolve: { conditions: ['@vtx/source'] } },
  test: {
    name: 'soak',
    root: 'packages/train',
    include: ['test/soak/**/*.test.ts'],
    setupFiles: [new URL('./vitest.setup.ts', import.meta.url).pathname],
    env: { VTX_SOAK: 'long' },
    testTimeout: 1_800_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
