/**
 * `vtx ablate <name> --report-only` without a sweep to report fails, naming the sweep directory, and leaves no
 * empty report directory behind.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAblation } from '../../src/ablate/index.js';

const dir = mkdtempSync(join(tmpdir(), 'vtx-ablate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ablate --report-only', () => {
  it('fails without a sweep and leaves no report directory', async () => {
    const runs = join(dir, 'runs');
    const docs = join(dir, 'docs');
    await expect(runAblation('vit-patch', { runs, docs, reportOnly: true })).rejects.toThrow(
      join(runs, 'vit-patch'),
    );
    expect(existsSync(join(docs, 'vit-patch'))).toBe(false);
  });
});
