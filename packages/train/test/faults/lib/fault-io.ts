/**
 * A fault-injecting `DurableIO` for tests: it passes every operation through to the real file system and, at the
 * chosen operation, fails the way a disk or a machine does: ENOSPC or EIO (optionally after writing part of the
 * file, as a full disk does), or a crash (SIGKILL of this very process, for child-process harnesses).
 *
 *   const io = new FaultyIO({ at: 2, fault: 'enospc-partial' });   // the 3rd operation fails half-way
 *   await saveCheckpoint(root, data, { io });                     // -> CheckpointError '… (ENOSPC) …'
 *   io.ops                                                        // ['write weights.safetensors', …]
 */
import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { nodeIO, type DurableIO } from '../../../../runs/src/atomic.js';

/** What happens at the faulty operation. */
export type IOFault = 'enospc' | 'enospc-partial' | 'eio' | 'crash';

export const IO_FAULTS: readonly IOFault[] = ['enospc', 'enospc-partial', 'eio', 'crash'];

export interface FaultPlan {
  /** 0-based index of the operation (writeFile, rename or syncDir, in call order) that fails. */
  at: number;
  fault: IOFault;
}

/** An errno-style error like the ones node:fs throws. */
export function errnoError(code: 'ENOSPC' | 'EIO', op: string, path: string): NodeJS.ErrnoException {
  const text = code === 'ENOSPC' ? 'no space left on device' : 'i/o error';
  const e = new Error(`${code}: ${text}, ${op} '${path}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.syscall = op;
  e.path = path;
  return e;
}

export class FaultyIO implements DurableIO {
  /** Every operation seen, in order, as 'write <name>' | 'rename <from> -> <to>' | 'syncdir <name>'. */
  readonly ops: string[] = [];
  /** Whether the planned fault fired. */
  fired = false;

  constructor(
    private readonly plan: FaultPlan | null = null,
    private readonly inner: DurableIO = nodeIO,
  ) {}

  async writeFile(path: string, chunks: readonly Uint8Array[]): Promise<void> {
    const i = this.ops.push(`write ${basename(path)}`) - 1;
    if (this.plan?.at === i) {
      this.fired = true;
      switch (this.plan.fault) {
        case 'crash':
          return crash();
        case 'enospc-partial': {
          // A full disk accepts part of the file before refusing the rest.
          const all = Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
          await fs.writeFile(path, all.subarray(0, all.length >> 1), { flag: 'wx' });
          throw errnoError('ENOSPC', 'write', path);
        }
        case 'enospc':
          throw errnoError('ENOSPC', 'write', path);
        case 'eio':
          throw errnoError('EIO', 'write', path);
      }
    }
    return this.inner.writeFile(path, chunks);
  }

  async rename(from: string, to: string): Promise<void> {
    const i = this.ops.push(`rename ${basename(from)} -> ${basename(to)}`) - 1;
    if (this.plan?.at === i) this.fail('rename', to);
    return this.inner.rename(from, to);
  }

  async syncDir(path: string): Promise<void> {
    const i = this.ops.push(`syncdir ${basename(path)}`) - 1;
    if (this.plan?.at === i) this.fail('fsync', path);
    return this.inner.syncDir(path);
  }

  private fail(op: string, path: string): void {
    this.fired = true;
    if (this.plan!.fault === 'crash') crash();
    throw errnoError(this.plan!.fault === 'eio' ? 'EIO' : 'ENOSPC', op, path);
  }
}

/** Die at once, as a power cut or `kill -9` would: no finally blocks, no cleanup. */
function crash(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not stop the process');
}
