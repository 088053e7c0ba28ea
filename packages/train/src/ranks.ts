/**
 * Which process of a data-parallel run this is, decided once before anything else of a run starts: launched by
 * mpirun or srun with more than one rank (`worldFromEnv`), it starts MPI (`startCommunicator`), divides the
 * machine's cores between the ranks on it (`VTX_THREADS`, unless the user set it) and sets `data.dataParallel`
 * from the world; otherwise it is one process, as vtx always was.
 *
 * Only rank 0 writes the run directory; ranks > 0 get a private temporary directory for what code paths need a
 * directory for (removed when the run ends).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMpiAddon, startCommunicator, worldFromEnv } from '@vtx/mpi';
import { ConfigError, UsageError } from '@vtx/config';
import type { ExperimentConfig } from './experiment.js';
import { DataParallel } from './parallel.js';

export interface Ranks {
  /** The process group, or null in one process. */
  dp: DataParallel | null;
  rank: number;
  size: number;
  /** Whether this process writes the run directory (rank 0). */
  writes: boolean;
  /** One line for the log: one process, or which rank of how many, with threads. */
  notice: string;
}

type Env = Record<string, string | undefined>;

let started: Ranks | null = null;

/**
 * This process's place in the run: MPI is started at most once per process (MPI cannot start twice), so a second
 * call returns the first's answer.
 */
export function startRanks(env: Env = process.env): Ranks {
  if (started) return started;
  const world = worldFromEnv(env);
  if (world.size <= 1) {
    const { notice } = startCommunicator(env);
    return { dp: null, rank: 0, size: 1, writes: true, notice };
  }
  const threads = ranksThreads(env, world.localSize);
  const { comm, notice } = startCommunicator(env); // throws when MPI cannot start: never N runs of one process
  started = {
    dp: new DataParallel(comm),
    rank: comm.rank,
    size: comm.size,
    writes: comm.rank === 0,
    notice: `${notice}; ${threads}`,
  };
  return started;
}

/**
 * `VTX_THREADS` (the native backend's pool) for `local` ranks on this machine: max(1, ⌊cores / local⌋), unless
 * the user set it (or Slurm's cpus per task under srun). Set before the backend's first parallel kernel, which fixes the pool's size. The machine's
 * cores, not this process's affinity: mpirun binds each of 2 or fewer ranks to one core unless told
 * `--bind-to none` (as `vtx train --ranks` does), and a bound rank's threads share its core.
 */
export function ranksThreads(env: Env, local: number, cores = cpus().length): string {
  if (env['VTX_THREADS'] !== undefined) return `VTX_THREADS=${env['VTX_THREADS']} (set by the user)`;
  const slurm = Number(env['SLURM_CPUS_PER_TASK']);
  if (Number.isInteger(slurm) && slurm > 0) {
    env['VTX_THREADS'] = String(slurm); // Slurm gave each task its cores
    return `VTX_THREADS=${slurm} (SLURM_CPUS_PER_TASK)`;
  }
  const n = Math.max(1, Math.floor(cores / Math.max(1, local)));
  env['VTX_THREADS'] = String(n);
  return `VTX_THREADS=${n} (${cores} cores / ${local} ranks on this machine)`;
}

/** Why this installation cannot train data-parallel (the MPI addon is not built or does not load), or null. */
export function mpiUnavailable(): string | null {
  const load = loadMpiAddon();
  return load.ok ? null : load.reason;
}

/** This process's rank and the rank count the launcher in the environment started (mpirun, srun), before MPI. */
export function launched(env: Env = process.env): { rank: number; size: number } {
  const { rank, size } = worldFromEnv(env);
  return { rank, size };
}

/** The config this rank trains: its rows of every global batch (`data.dataParallel`) when there are ranks. */
export function rankConfig(cfg: ExperimentConfig, ranks: Ranks): ExperimentConfig {
  if (ranks.size <= 1) return cfg;
  return { ...cfg, data: { ...cfg.data, dataParallel: { rank: ranks.rank, ranks: ranks.size } } };
}

/** The config as the run directory records it: the same on every rank count (a run resumes on any). */
export function worldConfig(cfg: ExperimentConfig): ExperimentConfig {
  return { ...cfg, data: { ...cfg.data, dataParallel: { rank: 0, ranks: 1 } } };
}

/**
 * The command line that runs `command` as `ranks` data-parallel ranks on this machine under OpenMPI's mpirun:
 * `--bind-to none` (mpirun would pin each of up to 2 ranks to one core, and VTX_THREADS divides all cores between
 * them), `--oversubscribe` (more ranks than cores is allowed: slower, not wrong). As root, OpenMPI refuses to start
 * without OMPI_ALLOW_RUN_AS_ROOT=1 and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1: `env` adds them when uid is 0.
 */
export function mpirunCommand(
  ranks: number,
  command: readonly string[],
  uid: number | undefined = process.getuid?.(),
): { file: string; args: string[]; env: Record<string, string> } {
  return {
    file: 'mpirun',
    args: ['-np', String(ranks), '--bind-to', 'none', '--oversubscribe', ...command],
    env: uid === 0 ? { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' } : {},
  };
}

/** A private directory for a rank > 0 (it never touches the run directory); `remove` deletes it. */
export function privateDir(rank: number): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `vtx-rank${rank}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Rank 0's result, or its error (a usage or config error stays one on every rank: exit 2 everywhere). */
type Outcome<P> = { ok: P } | { error: string; usage: boolean };

/** A rank > 0: rank 0's outcome, or its error raised here. */
function receive<P>(dp: DataParallel): P {
  const got = dp.broadcastJson<Outcome<P> | null>(null);
  if (!got) throw new Error('data parallel: rank 0 sent no outcome');
  if ('ok' in got) return got.ok;
  const message = `rank 0 failed: ${got.error}`;
  throw got.usage ? new UsageError(message) : new Error(message);
}

/** Rank 0: run `decide`, send `pick` of its result or its error to the other ranks. */
async function send<T, P>(dp: DataParallel, decide: () => Promise<T>, pick: (t: T) => P): Promise<T> {
  let value: T;
  try {
    value = await decide();
  } catch (e) {
    const usage = e instanceof UsageError || e instanceof ConfigError;
    dp.broadcastJson<Outcome<P>>({ error: (e as Error).message, usage });
    throw e;
  }
  dp.broadcastJson<Outcome<P>>({ ok: pick(value) });
  return value;
}

/**
 * Rank 0 runs `decide` (it alone reads and tidies the run directory); the other ranks get `pick` of its result, or
 * its error. In one process: `decide()`.
 */
export async function agree<T, P>(ranks: Ranks, decide: () => Promise<T>, pick: (t: T) => P): Promise<T | P> {
  if (!ranks.dp) return decide();
  return ranks.rank === 0 ? send(ranks.dp, decide, pick) : receive<P>(ranks.dp);
}

/**
 * `fn` on rank 0 first, then on the others (a built-in dataset is built once, by rank 0, before the others read
 * it); an error on rank 0 is raised on every rank.
 */
export async function inTurn<T>(ranks: Ranks, fn: () => Promise<T>): Promise<T> {
  if (!ranks.dp) return fn();
  if (ranks.rank === 0) return send(ranks.dp, fn, () => true);
  receive<boolean>(ranks.dp);
  return fn();
}
