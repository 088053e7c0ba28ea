/**
 * @vtx/mpi — data-parallel training's process group over MPI: `startCommunicator()` (MPI under mpirun or srun,
 * a group of one otherwise), `allreduceMean()` for fused-bucket gradient averaging, and `worldFromEnv()` to read
 * rank and size from the launcher before anything starts. No tfjs: the trainer hands it Float32Arrays.
 */
export { loadMpiAddon, type MpiAddon, type MpiBuffer, type MpiAddonLoad } from './addon.js';
export { worldFromEnv, type WorldFromEnv } from './world.js';
export { startCommunicator, singleProcess, type Communicator, type StartResult } from './communicator.js';
export { allreduceMean, allreduceSumBuckets, planBuckets, DEFAULT_BUCKET_BYTES } from './buckets.js';
