/**
 * The process group of a data-parallel run: MPI's world when a launcher started several ranks, else a group of
 * one whose collectives are the identity. Training code calls the same methods either way.
 */
import { loadMpiAddon, type MpiAddon, type MpiBuffer } from './addon.js';
import { worldFromEnv, type WorldFromEnv } from './world.js';

export interface Communicator {
  readonly rank: number;
  readonly size: number;
  /** Ranks on this machine. */
  readonly localSize: number;
  /** 'mpi' across processes, 'single' for a group of one. */
  readonly kind: 'mpi' | 'single';
  barrier(): void;
  /** Every rank's `buffer` becomes rank `root`'s. */
  broadcast(buffer: MpiBuffer, root?: number): void;
  /** In place: the element-wise sum over ranks. */
  allreduceSum(buffer: Float32Array | Float64Array): void;
  /** Ends every rank of the job (MPI_Abort) — for a rank that cannot go on and must not leave peers waiting. */
  abort(code: number): never;
  finalize(): void;
}

/** A group of one: the collectives leave the buffers as they are. */
export function singleProcess(): Communicator {
  return {
    rank: 0,
    size: 1,
    localSize: 1,
    kind: 'single',
    barrier() {},
    broadcast() {},
    allreduceSum() {},
    abort(code: number): never {
      process.exit(code);
    },
    finalize() {},
  };
}

function mpiCommunicator(addon: MpiAddon, world: WorldFromEnv): Communicator {
  addon.init();
  const rank = addon.rank();
  const size = addon.size();
  return {
    rank,
    size,
    localSize: world.localSize,
    kind: 'mpi',
    barrier: () => addon.barrier(),
    broadcast: (buffer, root = 0) => addon.broadcast(buffer, root),
    allreduceSum: (buffer) => addon.allreduceSum(buffer),
    abort(code: number): never {
      addon.abort(code);
      process.exit(code); // MPI_Abort does not return; this is for the type checker
    },
    finalize: () => addon.finalize(),
  };
}

export type StartResult = { comm: Communicator; notice: string };

/**
 * Start the process group. Under a launcher (mpirun, srun) with N > 1 ranks this initialises MPI and throws when
 * it cannot (the addon is missing, or MPI fails): N processes that each trained alone would silently train N
 * models. Without a launcher, or with one rank, it returns a group of one; `notice` says which and why.
 */
export function startCommunicator(env: Record<string, string | undefined> = process.env): StartResult {
  const world = worldFromEnv(env);
  if (world.size <= 1) {
    const why = world.source ? `${world.source}=1` : 'no MPI launcher in the environment';
    return { comm: singleProcess(), notice: `data parallel: one process (${why})` };
  }
  const load = loadMpiAddon();
  if (!load.ok)
    throw new Error(`started as rank ${world.rank} of ${world.size} (${world.source}) but ${load.reason}`);
  const comm = mpiCommunicator(load.addon, world);
  if (comm.size !== world.size)
    throw new Error(`MPI reports ${comm.size} ranks where ${world.source} says ${world.size}`);
  const version = load.addon.version().split(/[,\n]/)[0]?.trim() ?? 'MPI';
  return {
    comm,
    notice: `data parallel: rank ${comm.rank} of ${comm.size} (${version}; ${world.localSize} on this machine)`,
  };
}
