/**
 * The run directory's names, one rule each: run names (what may name a directory), step names (`step-000120`, six
 * digits at least so they sort) and reading the step back from a checkpoint directory or a per-step file.
 */
import { describe, expect, it } from 'vitest';
import { RUN_NAME, isRunName, stepName, stepOfFile, stepOfName } from '../src/index.js';

describe('run names', () => {
  it('are letters, digits, ".", "_" and "-", starting with a letter or digit', () => {
    for (const ok of ['default', 'dit-tiny', 'a.b_c-1', '0', 'size-S_patch-1x4x4_seed-0'])
      expect(isRunName(ok), ok).toBe(true);
    for (const bad of ['', '.', '..', '.hidden', '-x', '_x', 'a/b', 'a b', '../x', 'é'])
      expect(isRunName(bad), bad).toBe(false);
    expect(RUN_NAME.test('x'.repeat(200))).toBe(true); // length is the caller's rule (sweeps cap it)
  });
});

describe('step names', () => {
  it('pad to six digits and read back exactly', () => {
    expect(stepName(0)).toBe('step-000000');
    expect(stepName(120)).toBe('step-000120');
    expect(stepName(12345678)).toBe('step-12345678');
    for (const s of [0, 7, 120, 999_999, 1_000_000]) expect(stepOfName(stepName(s))).toBe(s);
    const names = [5, 40, 300, 2000].map(stepName);
    expect([...names].reverse().sort()).toEqual(names); // sort by step
    expect(() => stepName(-1)).toThrow(/whole number/);
    expect(() => stepName(1.5)).toThrow(/whole number/);
  });

  it('a checkpoint directory is exactly step-N; anything else is not one', () => {
    for (const other of ['damaged-step-000120', '.tmp-step-000120-1-ab', 'step-', 'step-12a', 'step-000120.gif'])
      expect(stepOfName(other), other).toBeUndefined();
  });

  it("a per-step file's step: sample sheets, sizes, reconstructions", () => {
    expect(stepOfFile('step-000120.gif')).toBe(120);
    expect(stepOfFile('step-000120-4x16x16.png')).toBe(120);
    expect(stepOfFile('recon-step-000040.gif')).toBe(40);
    expect(stepOfFile('samples-4x16x16.gif')).toBeUndefined();
    expect(stepOfFile('mystep-3.gif')).toBeUndefined();
  });
});
