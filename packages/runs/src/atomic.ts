/**
 * Durable file operations for atomic writes: a file is written, fsynced and closed before it counts; a directory is
 * fsynced after entries are created or renamed in it (POSIX: rename is atomic, but only durable once the parent
 * directory is synced). The operations are an interface so tests can inject faults (ENOSPC, a crash before rename).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface DurableIO {
  /** Create `path` (it must not exist), write the chunks, fsync and close it. */
  writeFile(path: string, chunks: readonly Uint8Array[]): Promise<void>;
  /** Atomically rename (same file system). */
  rename(from: string, to: string): Promise<void>;
  /** fsync a directory so renames and new entries in it survive a power loss. */
  syncDir(path: string): Promise<void>;
}

export const nodeIO: DurableIO = {
  async writeFile(path, chunks) {
    const fh = await fs.open(path, 'wx');
    try {
      for (const c of chunks) {
        let off = 0;
        while (off < c.byteLength) off += (await fh.write(c, off, c.byteLength - off)).bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  rename: (from, to) => fs.rename(from, to),
  async syncDir(path) {
    let fh: fs.FileHandle | undefined;
    try {
      fh = await fs.open(path, 'r');
      await fh.sync();
    } catch (e) {
      // Some platforms cannot fsync a directory; durability then rests on the OS.
      if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    } finally {
      await fh?.close();
    }
  },
};

/** A unique sibling name for temporary files/dirs: `.tmp-<name>-<pid>-<hex>`. */
export function tempSibling(path: string, tag = 'tmp'): string {
  return join(dirname(path), `.${tag}-${basename(path)}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Write one file atomically: temp sibling, fsync, rename over the target, fsync the directory. Readers see the old
 * content or the new, never a prefix. Used for the resolved config and other small run files.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  io: DurableIO = nodeIO,
): Promise<void> {
  const tmp = tempSibling(path);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  try {
    await io.writeFile(tmp, [bytes]);
    await io.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await io.syncDir(dirname(path));
}
