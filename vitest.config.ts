import { configDefaults, defineConfig } from 'vitest/config';

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

/**
 * Test files that assert on the state of a whole process, so each runs in a fresh one (every other file shares its
 * worker process with the files before it; see `isolate` below). Paths are relative to their package.
 */
const ownProcess: Record<string, string[]> = {
  // the exact list of model kinds: built in plus the file's own registrations, none left by another file
  models: ['test/registry.test.ts'],
  // backend selection before Dawn is started: a webgpu test before it in the same process leaves navigator.gpu set
  core: ['test/backend/vulkan-drivers.test.ts'],
  // RSS stays flat over 240 steps: measured on a process that has not run other files' models before
  train: ['test/soak/soak.test.ts'],
};

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
    // A worker process runs its test files one after another without re-importing the @vtx packages for each: a
    // fresh module graph per file (vitest's default) cost about 0.7 s of setup per file, a quarter of the suite's
    // CPU time (user 798 s with it, 602 s without). vitest.setup.ts puts back what files may change (environment,
    // working directory, backend, fused ops) before each file; the files in `ownProcess` get a process of their own.
    isolate: false,
    projects: [
      ...packages.flatMap((name) => {
        const own = ownProcess[name] ?? [];
        const shared = {
          extends: true as const,
          test: {
            name: `@vtx/${name}`,
            root: `packages/${name}`,
            include: ['test/**/*.test.ts'],
            exclude: [...configDefaults.exclude, ...own],
          },
        };
        if (!own.length) return [shared];
        const isolated = {
          extends: true as const,
          test: { name: `@vtx/${name} (own process)`, root: `packages/${name}`, include: own, isolate: true },
        };
        return [shared, isolated];
      }),
      // the benchmark harness's rules and workloads file (bench/measure.ts, bench/peer/workloads.json)
      { extends: true as const, test: { name: 'bench', root: 'bench', include: ['test/**/*.test.ts'] } },
      // checks of the repository as a whole (test/): it is self-contained
      { extends: true as const, test: { name: 'repo', root: '.', include: ['test/**/*.test.ts'] } },
    ],
  },
});
