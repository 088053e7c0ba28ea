/**
 * The one error type for everything that can go wrong while writing or reading a checkpoint: it names the
 * checkpoint file and, where known, the tensor, so "step-000120/weights.safetensors: tensor 'blocks.0/qkv/kernel':
 * sha256 mismatch" tells the user exactly what is broken.
 */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  /** The file the problem is in (a path), if one. */
  readonly file: string | undefined;
  /** The tensor the problem is in, if one. */
  readonly tensor: string | undefined;
  /** A checkpoint of another format or version: not damaged, but not readable by this vtx. */
  readonly unsupported: boolean;

  constructor(
    message: string,
    where: { file?: string; tensor?: string; cause?: unknown; unsupported?: boolean } = {},
  ) {
    const prefix = [where.file, where.tensor === undefined ? undefined : `tensor '${where.tensor}'`]
      .filter((s) => s !== undefined)
      .join(': ');
    super(
      prefix ? `${prefix}: ${message}` : message,
      where.cause === undefined ? {} : { cause: where.cause },
    );
    this.file = where.file;
    this.tensor = where.tensor;
    this.unsupported = where.unsupported ?? false;
  }
}
