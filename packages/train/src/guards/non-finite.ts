/**
 * NaN/Inf guard: the loss and the global gradient norm summarise the whole step (a NaN or Inf in any gradient makes
 * the norm non-finite), so checking those two scalars each step is enough to stop before a bad update is saved.
 */
export class NonFiniteError extends Error {
  override readonly name = 'NonFiniteError';
  constructor(
    readonly step: number,
    readonly quantity: string,
    readonly value: number,
  ) {
    super(`step ${step}: ${quantity} is ${value} (non-finite); training stopped`);
  }
}

/** Throw a NonFiniteError naming the first non-finite quantity, e.g. checkFinite(step, { loss, gradNorm }). */
export function checkFinite(step: number, values: Record<string, number>): void {
  for (const [quantity, value] of Object.entries(values))
    if (!Number.isFinite(value)) throw new NonFiniteError(step, quantity, value);
}
