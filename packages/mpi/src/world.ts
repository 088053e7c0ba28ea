/**
 * Which rank of how many this process is, read from the launcher's environment before MPI starts: OpenMPI's
 * mpirun (`OMPI_COMM_WORLD_RANK/SIZE/LOCAL_SIZE`), Hydra-style PMI (`PMI_RANK/PMI_SIZE`) and
 * Slurm's srun (`SLURM_PROCID/SLURM_NTASKS/SLURM_NTASKS_PER_NODE`). A process that no launcher started is rank 0
 * of 1, and vtx trains in it without MPI.
 */

export interface WorldFromEnv {
  rank: number;
  size: number;
  /** Ranks on this machine (for dividing its cores between them). */
  localSize: number;
  /** The variable the size was read from, or null when no launcher is in the environment. */
  source: string | null;
}

type Env = Record<string, string | undefined>;

function int(env: Env, key: string): number | undefined {
  const v = env[key];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

// Slurm writes tasks per node as "2" or "2(x3),1"; the first count is this node's for a block distribution.
function slurmLocal(env: Env): number | undefined {
  const v = env['SLURM_NTASKS_PER_NODE'] ?? env['SLURM_TASKS_PER_NODE'];
  const m = v?.match(/^(\d+)/);
  return m ? Number(m[1]) : undefined;
}

export function worldFromEnv(env: Env = process.env): WorldFromEnv {
  const sources: [string, string, () => number | undefined][] = [
    ['OMPI_COMM_WORLD_SIZE', 'OMPI_COMM_WORLD_RANK', () => int(env, 'OMPI_COMM_WORLD_LOCAL_SIZE')],
    ['PMI_SIZE', 'PMI_RANK', () => undefined],
    ['SLURM_NTASKS', 'SLURM_PROCID', () => slurmLocal(env)],
  ];
  for (const [sizeKey, rankKey, local] of sources) {
    const size = int(env, sizeKey);
    const rank = int(env, rankKey);
    if (size !== undefined && rank !== undefined && size >= 1 && rank < size)
      return { rank, size, localSize: Math.min(local() ?? size, size), source: sizeKey };
  }
  return { rank: 0, size: 1, localSize: 1, source: null };
}
