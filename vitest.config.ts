import { defineConfig } from 'vitest/config';

const packages = [
  'core',
  'models',
  'data',
  'runs',
  'config',
  'checkpoint',
  'media',
  'train',
  'eval',
  'lab',
  'cli',
  'view',
  'backend-native',
  'mpi',
];

export default defineConfig({
  // Resolve @vtx/* to their TypeScript sources (the "@vtx/source" export condition): no build before tests.
  resolve: { conditions: ['@vtx/source'] },
  ssr: { resolve: { conditions: ['@vtx/source'] } },
  test: {
    setupFiles: [new URL('./vitest.setup.ts', import.meta.url).pathname],
    // Generous: the suite must pass on a loaded machine (at load average ~20 beside a CPU hog, sweep tests that
    // train a few runs took 60-135 s where they take ~10 s quiet). A timeout says a test hung, not that it was slow.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: { name: `@vtx/${name}`, root: `packages/${name}`, include: ['test/**/*.test.ts'] },
      })),
      // the benchmark harness's rules and workloads file (bench/measure.ts, bench/peer/workloads.json)
      { extends: true as const, test: { name: 'bench', root: 'bench', include: ['test/**/*.test.ts'] } },
      // checks of the repository as a whole (test/): it is self-contained
      { extends: true as const, test: { name: 'repo', root: '.', include: ['test/**/*.test.ts'] } },
    ],
  },
});
