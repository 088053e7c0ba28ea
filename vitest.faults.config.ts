/**
 * `pnpm test:faults`: the long fault-injection suite of @vtx/train (packages/train/test/faults). Every fault tried
 * is recorded in a ledger and printed at the end with what was checked ("nothing lost"). `pnpm test` runs the same
 * files in their short form (VTX_FAULTS unset).
 */
import { defineConfig } from 'vitest/config';
import { ledgerPath } from './packages/train/test/faults/ledger-report.js';

export default defineConfig({
  resolve: { conditions: ['@vtx/source'] },
  ssr: { resolve: { conditions: ['@vtx/source'] } },
  test: {
    name: 'faults',
    root: 'packages/train',
    include: ['test/faults/**/*.test.ts'],
    setupFiles: [new URL('./vitest.setup.ts', import.meta.url).pathname],
    globalSetup: [new URL('./packages/train/test/faults/ledger-report.ts', import.meta.url).pathname],
    env: { VTX_FAULTS: 'long', VTX_FAULT_LEDGER: ledgerPath() },
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
