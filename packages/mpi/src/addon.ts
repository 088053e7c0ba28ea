/**
 * Loading the MPI addon (`build/Release/vtx_mpi.node`, built by the repository's `scripts/build-addon.cjs` at
 * install where `mpicc` exists: Debian's `libopenmpi-dev`). A missing or unloadable addon is not an error here:
 * `loadMpiAddon()` returns the reason, and vtx trains in one process.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Element types the collectives take: Float32Array and Float64Array (all of them), Uint8Array (broadcast). */
export type MpiBuffer = Float32Array | Float64Array | Uint8Array;

/** The addon's functions; each throws an Error whose message is MPI's own, prefixed `vtx mpi:`. */
export interface MpiAddon {
  init(): void;
  finalize(): void;
  initialized(): boolean;
  rank(): number;
  size(): number;
  barrier(): void;
  /** Every rank's `buffer` becomes `root`'s (same length on every rank). */
  broadcast(buffer: MpiBuffer, root: number): void;
  /** In place: every rank's `buffer` becomes the element-wise sum over ranks. */
  allreduceSum(buffer: Float32Array | Float64Array): void;
  /** Ends every rank of the job with `code` (MPI_Abort). */
  abort(code: number): void;
  /** The MPI library's version line. */
  version(): string;
}

export type MpiAddonLoad = { ok: true; addon: MpiAddon } | { ok: false; reason: string };

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
export const MPI_ADDON_PATH = `${packageRoot}build/Release/vtx_mpi.node`;

let cached: MpiAddonLoad | undefined;

/** Load the addon once; never throws. */
export function loadMpiAddon(): MpiAddonLoad {
  if (cached) return cached;
  if (!existsSync(MPI_ADDON_PATH)) {
    return (cached = {
      ok: false,
      reason: `MPI addon not built (${MPI_ADDON_PATH} is missing: install Debian's openmpi-bin and libopenmpi-dev, then \`pnpm --filter @vtx/mpi rebuild\`)`,
    });
  }
  try {
    return (cached = { ok: true, addon: createRequire(import.meta.url)(MPI_ADDON_PATH) as MpiAddon });
  } catch (e) {
    const msg = String(e instanceof Error ? e.message : e).split('\n')[0] ?? '';
    return (cached = { ok: false, reason: `MPI addon failed to load: ${msg}` });
  }
}
