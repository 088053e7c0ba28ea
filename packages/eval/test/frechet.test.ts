/**
 * Fréchet distance and its linear algebra against closed forms: eigenpairs of known symmetric matrices, the PSD
 * square root squaring back, d² of Gaussians with known means and covariances (diagonal, commuting and
 * non-commuting, where the 2-D formula is known in closed form), and sample statistics of seeded Gaussian draws.
 */
import { mulberry32 } from '@vtx/core';
import { describe, expect, it } from 'vitest';
import { frechetDistance, gaussianStats } from '../src/frechet.js';
import { matmul, sqrtPsd, symmetricEigen, trace, type SquareMatrix } from '../src/linalg.js';

const mat = (rows: number[][]): SquareMatrix => ({ n: rows.length, data: Float64Array.from(rows.flat()) });
const zeros = (d: number) => new Float64Array(d);

describe('symmetric eigendecomposition and PSD square root', () => {
  it('finds the eigenvalues of [[2, 1], [1, 2]] (1 and 3) with orthonormal vectors', () => {
    const { values, vectors } = symmetricEigen(
      mat([
        [2, 1],
        [1, 2],
      ]),
    );
    const sorted = [...values].sort();
    expect(sorted[0]).toBeCloseTo(1, 10);
    expect(sorted[1]).toBeCloseTo(3, 10);
    const vtv = matmul(
      {
        n: 2,
        data: Float64Array.from([vectors.data[0]!, vectors.data[2]!, vectors.data[1]!, vectors.data[3]!]),
      },
      vectors,
    );
    [1, 0, 0, 1].forEach((v, i) => expect(vtv.data[i]).toBeCloseTo(v, 10));
  });

  it('squares back to a random SPD matrix and is itself symmetric', () => {
    const rand = mulberry32(7);
    const d = 6;
    const a = mat(Array.from({ length: d }, () => Array.from({ length: d }, () => rand() - 0.5)));
    const at = mat(
      Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => a.data[j * d + i]!)),
    );
    const spd = matmul(a, at);
    for (let i = 0; i < d; i++) spd.data[i * d + i]! += 0.1;
    const r = sqrtPsd(spd);
    const back = matmul(r, r);
    for (let i = 0; i < d * d; i++) expect(back.data[i]).toBeCloseTo(spd.data[i]!, 9);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) expect(r.data[i * d + j]).toBeCloseTo(r.data[j * d + i]!, 12);
  });

  it('rejects a non-symmetric matrix', () => {
    expect(() =>
      symmetricEigen(
        mat([
          [1, 2],
          [0, 1],
        ]),
      ),
    ).toThrow(/not symmetric at \(0, 1\)/);
  });
});

describe('Fréchet distance of Gaussians', () => {
  it('is the squared mean distance for equal covariances', () => {
    const cov = mat([
      [2, 0.5, 0],
      [0.5, 1, 0.2],
      [0, 0.2, 3],
    ]);
    const d2 = frechetDistance(
      { mean: Float64Array.from([1, 2, 3]), cov },
      { mean: Float64Array.from([0, 0, 1]), cov },
    );
    expect(d2).toBeCloseTo(1 + 4 + 4, 8);
  });

  it('is Σ (√a − √b)² for diagonal covariances', () => {
    const a = [1, 4, 9, 0.25];
    const b = [4, 1, 1, 1];
    const diag = (v: number[]) => mat(v.map((x, i) => v.map((_, j) => (i === j ? x : 0))));
    const want = a.reduce((s, x, i) => s + (Math.sqrt(x) - Math.sqrt(b[i]!)) ** 2, 0);
    expect(frechetDistance({ mean: zeros(4), cov: diag(a) }, { mean: zeros(4), cov: diag(b) })).toBeCloseTo(
      want,
      9,
    );
  });

  it('matches the 2 x 2 closed form tr(S1 + S2) − 2 √(tr(S1 S2) + 2 √det(S1 S2)) for non-commuting covariances', () => {
    const s1 = mat([
      [2, 1],
      [1, 2],
    ]);
    const s2 = mat([
      [1, 0],
      [0, 3],
    ]);
    // for 2 x 2 M with positive eigenvalues: tr √M = √(tr M + 2 √det M)
    const p = matmul(s1, s2);
    const det = p.data[0]! * p.data[3]! - p.data[1]! * p.data[2]!;
    const want = trace(s1) + trace(s2) - 2 * Math.sqrt(trace(p) + 2 * Math.sqrt(det));
    const mean = Float64Array.from([0.5, -1]);
    expect(frechetDistance({ mean, cov: s1 }, { mean, cov: s2 })).toBeCloseTo(want, 9);
  });

  it('is 0 between a distribution and itself, and symmetric', () => {
    const cov = mat([
      [1, 0.3],
      [0.3, 0.5],
    ]);
    const s = { mean: Float64Array.from([1, 1]), cov };
    const t = {
      mean: Float64Array.from([0, 2]),
      cov: mat([
        [3, -1],
        [-1, 2],
      ]),
    };
    expect(frechetDistance(s, s)).toBeCloseTo(0, 9);
    expect(frechetDistance(s, t)).toBeCloseTo(frechetDistance(t, s), 9);
  });

  it('recovers the population distance from seeded samples (up to sampling error)', () => {
    const rand = mulberry32(3);
    const normal = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
    const n = 4000;
    const draw = (mu: number[], sd: number[]) =>
      Float64Array.from({ length: n * 2 }, (_, i) => mu[i % 2]! + sd[i % 2]! * normal());
    const a = gaussianStats(draw([0, 0], [1, 1]), n, 2);
    const b = gaussianStats(draw([1, 0], [2, 1]), n, 2);
    // population: 1 + (1 − 2)² + 0 = 2
    expect(frechetDistance(a, b)).toBeCloseTo(2, 0);
    expect(a.cov.data[0]).toBeCloseTo(1, 1);
  });
});
