/**
 * All-reduce bandwidth of @vtx/mpi (an in-place float32 sum over all ranks) for 1, 16 and 128 MB buffers; run
 * under a launcher, e.g. (as root OpenMPI also needs OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1):
 *
 *   mpirun -np 2 node --conditions=@vtx/source --import tsx bench/allreduce.ts [--reps 10]
 *
 * Rank 0 prints one JSON line per size: seconds per all-reduce (best and median of `reps` after one warm-up),
 * algorithm bandwidth (bytes / s) and bus bandwidth (x 2(n-1)/n, the bytes each rank sends in a ring all-reduce,
 * comparable across rank counts as in nccl-tests), and the load average before and after.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { startCommunicator } from '@vtx/mpi';

const { values: args } = parseArgs({ options: { reps: { type: 'string', default: '10' } } });
const reps = Number(args.reps);
const { comm } = startCommunicator();
const load = () => os.loadavg().map((l) => Math.round(l * 100) / 100);
const loadBefore = load();

for (const mb of [1, 16, 128]) {
  const buf = new Float32Array((mb * 1024 * 1024) / 4).fill(1);
  const times: number[] = [];
  for (let r = 0; r <= reps; r++) {
    comm.barrier();
    const t0 = performance.now();
    comm.allreduceSum(buf);
    const dt = (performance.now() - t0) / 1000;
    if (r > 0) times.push(dt); // the first one warms up connections and pages
  }
  times.sort((a, b) => a - b);
  const best = times[0]!;
  const median = times[Math.floor(times.length / 2)]!;
  const bytes = buf.byteLength;
  if (comm.rank === 0)
    console.log(
      JSON.stringify({
        bench: 'allreduce',
        ranks: comm.size,
        megabytes: mb,
        bestS: best,
        medianS: median,
        algGBps: bytes / best / 1e9,
        busGBps: ((bytes / best) * (2 * (comm.size - 1))) / comm.size / 1e9,
        reps,
        loadBefore,
        loadAfter: load(),
      }),
    );
}
comm.finalize();
