/**
 * The little dense linear algebra the Fréchet distance needs, on row-major Float64Array matrices: symmetric
 * eigendecomposition by the cyclic Jacobi method (Golub & Van Loan, "Matrix Computations", §8.5), and from it the
 * principal square root of a symmetric positive semi-definite matrix, A^{1/2} = V diag(√λ) Vᵀ (negative
 * round-off eigenvalues are clamped to 0). O(n³) per sweep; fine for the judge's feature widths (≤ a few hundred).
 */

/** A square n x n matrix, row-major. */
export interface SquareMatrix {
  n: number;
  data: Float64Array;
}

export function matmul(a: SquareMatrix, b: SquareMatrix): SquareMatrix {
  const { n } = a;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a.data[i * n + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += aik * b.data[k * n + j]!;
    }
  return { n, data: out };
}

export function trace(a: SquareMatrix): number {
  let s = 0;
  for (let i = 0; i < a.n; i++) s += a.data[i * a.n + i]!;
  return s;
}

/**
 * Eigenvalues and eigenvectors of a symmetric matrix: A = V diag(λ) Vᵀ, V's columns the eigenvectors (row-major
 * `vectors[i * n + k]` is component i of eigenvector k). Throws on a non-symmetric input.
 */
export function symmetricEigen(
  a: SquareMatrix,
  tol = 1e-12,
  maxSweeps = 100,
): { values: Float64Array; vectors: SquareMatrix } {
  const { n } = a;
  const m = Float64Array.from(a.data);
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(m[i]!));
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      if (Math.abs(m[i * n + j]! - m[j * n + i]!) > 1e-8 * Math.max(1, scale))
        throw new Error(`symmetricEigen: the matrix is not symmetric at (${i}, ${j})`);
    }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += m[i * n + j]! ** 2;
    if (Math.sqrt(off) <= tol * Math.max(1, scale)) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        // the rotation that zeroes m[p][q]: tan 2θ = 2 a_pq / (a_qq - a_pp)
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!;
          const mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!;
          const mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i]!;
  return { values, vectors: { n, data: v } };
}

/** The principal square root of a symmetric PSD matrix: V diag(√max(λ, 0)) Vᵀ. */
export function sqrtPsd(a: SquareMatrix): SquareMatrix {
  const { values, vectors } = symmetricEigen(a);
  const { n } = a;
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const r = Math.sqrt(Math.max(values[k]!, 0));
    if (r === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = vectors.data[i * n + k]! * r;
      for (let j = 0; j < n; j++) out[i * n + j]! += vik * vectors.data[j * n + k]!;
    }
  }
  return { n, data: out };
}
