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
    // One fork per core: vitest's default in run mode is cores - 1, a single worker on the 2-core machines this suite
    // targets, which left a core idle behind a mostly single-threaded test file. Test files share nothing (temporary
    // directories, their own processes), and the suite passes under load, so two at once is safe.
    maxWorkers: '100%',
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
