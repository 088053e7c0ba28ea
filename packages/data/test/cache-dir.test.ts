/**
 * Where built-in datasets are cached when a config does not say: VTX_CACHE_DIR, else .vtx-cache/data (the test
 * setup points VTX_CACHE_DIR at a temporary directory, so tests never write into the repository).
 */
import { describe, expect, it } from 'vitest';
import { DataConfig, defaultCacheDir } from '../src/index.js';

describe('the default cacheDir', () => {
  it('is VTX_CACHE_DIR when set, else .vtx-cache/data', () => {
    const set = process.env['VTX_CACHE_DIR'];
    expect(set).toMatch(/vtx-test-cache-/); // vitest.setup.ts
    expect(DataConfig.parse({}).cacheDir).toBe(set);
    expect(DataConfig.parse({ cacheDir: 'here' }).cacheDir).toBe('here');
    try {
      delete process.env['VTX_CACHE_DIR'];
      expect(defaultCacheDir()).toBe('.vtx-cache/data');
      expect(DataConfig.parse({}).cacheDir).toBe('.vtx-cache/data');
    } finally {
      process.env['VTX_CACHE_DIR'] = set;
    }
  });
});
