/**
 * Child-process entry for crash tests: save one synthetic checkpoint through a FaultyIO that SIGKILLs this process
 * at DurableIO operation `at` (a crash with no cleanup, unlike a thrown error).
 *
 *   node --conditions=@vtx/source --import tsx crash-save.ts <root> <step> <at> [keepLast]
 *
 * Exits 0 if the save completed (`at` past the last operation) and prints the operations seen as JSON.
 */
import { saveCheckpoint } from '@vtx/checkpoint';
import { FaultyIO } from './fault-io.js';
import { syntheticCheckpoint } from './synthetic-checkpoint.js';

const [root, step, at, keepLast] = process.argv.slice(2);
if (!root || step === undefined || at === undefined) {
  process.stderr.write('usage: crash-save.ts <root> <step> <at> [keepLast]\n');
  process.exit(2);
}
const io = new FaultyIO({ at: Number(at), fault: 'crash' });
await saveCheckpoint(root, syntheticCheckpoint(Number(step)), {
  io,
  ...(keepLast ? { keepLast: Number(keepLast) } : {}),
});
process.stdout.write(JSON.stringify(io.ops) + '\n');
