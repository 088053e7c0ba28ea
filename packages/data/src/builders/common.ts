/** Options every builder shares. */
export interface BuildOptions {
  /** Shard size target in bytes of clip data (default 256 MiB). */
  maxShardBytes?: number;
  /** Called after each written clip with (clips written, clips planned or null when unknown). */
  onProgress?: (done: number, total: number | null) => void;
}

/** `{ maxShardBytes }` when set, else nothing (keeps exactOptionalPropertyTypes-style spreads tidy). */
export function shardOpts(o: BuildOptions): { maxShardBytes?: number } {
  return o.maxShardBytes === undefined ? {} : { maxShardBytes: o.maxShardBytes };
}
