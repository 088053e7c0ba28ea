/**
 * The one error type of @vtx/data. Every failure caused by bad input (a truncated or corrupted shard,
 * a checksum or schema-version mismatch, clip bytes that do not match their shape, an unreadable video)
 * is a `DataError` whose message names the file and, where there is one, the row:
 * `data/shapes/shapes-00000-of-00002.arrow row 12: shape 8x32x32x3 needs 24576 bytes, got 100`.
 * The CLI prints the message alone (no stack trace) and exits with code 1.
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  /** The file the problem is in, when there is one. */
  readonly file: string | undefined;
  /** The global or shard-local row (as the message says), when the problem is in one row. */
  readonly row: number | undefined;

  constructor(message: string, where: { file?: string; row?: number; cause?: unknown } = {}) {
    super(message, where.cause === undefined ? undefined : { cause: where.cause });
    this.file = where.file;
    this.row = where.row;
  }
}

/** `file row 12: what` / `file: what`, the one place message prefixes are formatted. */
export function dataError(file: string, what: string, row?: number, cause?: unknown): DataError {
  const at = row === undefined ? file : `${file} row ${row}`;
  return new DataError(`${at}: ${what}`, { file, ...(row === undefined ? {} : { row }), cause });
}

/** The message of an unknown thrown value. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
