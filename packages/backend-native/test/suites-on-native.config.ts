/**
 * The @vtx/core and @vtx/models test suites with every test file starting on the 'native' backend instead of
 * `cpu` (tests that switch backends explicitly still do):
 *   pnpm vitest run --config packages/backend-native/test/suites-on-native.config.ts
 * with the fused transformer ops on (default) or off (`VTX_FUSED=0`).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../../..', import.meta.url));

export default defineConfig({
  resolve: { conditions: ['@vtx/source'] },
  ssr: { resolve: { conditions: ['@vtx/source'] } },
  test: {
    root,
    setupFiles: [fileURLToPath(new URL('./setup-native.ts', import.meta.url))],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    include: ['packages/core/test/**/*.test.ts', 'packages/models/test/**/*.test.ts'],
  },
});
