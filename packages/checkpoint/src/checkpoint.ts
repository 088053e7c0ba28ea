/**
 * Training checkpoints: one directory per step, written atomically, verified on load.
 *
 *   <root>/step-000120/
 *     weights.safetensors    optimizer.safetensors    ema.safetensors    (one file per tensor group)
 *     manifest.json          { format, version, step, files: { name: { bytes, sha256, tensors: { t: sha256 } } },
 *                              metrics, state }   — written last
 *
 * Atomicity: everything is written into `<root>/.tmp-step-000120-<pid>-<hex>/`, each file fsynced, the directory
 * fsynced, then renamed to `step-000120` and the root fsynced. A crash at any point leaves the old checkpoints plus
 * at most a `.tmp-*` leftover that listing ignores and the next save removes. Only `step-*` directories with a
 * readable manifest count as checkpoints.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { nodeIO, stepName, stepOfName, tempSibling, type DurableIO } from '@vtx/runs';
import { CheckpointError } from './errors.js';
import type { TensorGroup } from './host-tensor.js';
import { decodeSafetensors, encodeSafetensors, readSafetensorsHeader } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'vtx-checkpoint';
export const CHECKPOINT_VERSION = 1;
const MANIFEST = 'manifest.json';

export interface CheckpointData {
  step: number;
  /** Tensor groups, each written as `<group>.safetensors` (e.g. weights, optimizer, ema). */
  groups: Record<string, TensorGroup>;
  /** Scalars for keep-best and for the record (e.g. { valLoss: 0.31 }). */
  metrics?: Record<string, number>;
  /** Any JSON the loop needs to resume: RNG state, data-loader position, schedule, … */
  state?: unknown;
}

export interface FileEntry {
  bytes: number;
  sha256: string;
  /** sha256 of each tensor's data, to name the tensor when a file's checksum fails. */
  tensors: Record<string, string>;
}

export interface Manifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  step: number;
  createdAt: string;
  files: Record<string, FileEntry>;
  metrics: Record<string, number>;
  state: unknown;
}

export interface LoadedCheckpoint {
  path: string;
  step: number;
  groups: Record<string, TensorGroup>;
  metrics: Record<string, number>;
  state: unknown;
  manifest: Manifest;
}

export interface KeepPolicy {
  /** Keep the newest k checkpoints (k ≥ 1). Omit to keep all. */
  keepLast?: number;
  /** Also keep the best one by `metrics[metric]`. */
  keepBest?: { metric: string; mode: 'min' | 'max' };
}

export interface SaveOptions extends KeepPolicy {
  /** File operations (fault injection in tests). */
  io?: DurableIO;
}

const sha256 = (chunks: readonly Uint8Array[]) => {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
};

/**
 * Write a checkpoint atomically under `root` and apply the keep policy. Returns the checkpoint's path. Any failure
 * (e.g. ENOSPC) removes the temporary directory, leaves existing checkpoints untouched and throws a
 * `CheckpointError` naming the file being written.
 */
export async function saveCheckpoint(
  root: string,
  data: CheckpointData,
  opts: SaveOptions = {},
): Promise<string> {
  const io = opts.io ?? nodeIO;
  if (!Number.isSafeInteger(data.step) || data.step < 0)
    throw new CheckpointError(`step ${data.step} is not a non-negative integer`);
  await fs.mkdir(root, { recursive: true });
  await cleanStaleTemps(root);
  const final = join(root, stepName(data.step));
  const tmp = tempSibling(final);
  await fs.mkdir(tmp);
  let current = tmp;
  try {
    const files: Record<string, FileEntry> = {};
    for (const [group, tensors] of Object.entries(data.groups)) {
      if (!/^[A-Za-z0-9_-]+$/.test(group))
        throw new CheckpointError(`group name '${group}' must be [A-Za-z0-9_-]+`);
      const name = `${group}.safetensors`;
      current = join(tmp, name);
      const chunks = encodeSafetensors(tensors);
      const [, ...payloads] = chunks; // one per tensor, in name order
      const names = Object.keys(tensors.tensors).sort();
      files[name] = {
        bytes: chunks.reduce((n, c) => n + c.byteLength, 0),
        sha256: sha256(chunks),
        tensors: Object.fromEntries(names.map((t, i) => [t, sha256([payloads[i]!])])),
      };
      await io.writeFile(current, chunks);
    }
    const manifest: Manifest = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      step: data.step,
      createdAt: new Date().toISOString(),
      files,
      metrics: data.metrics ?? {},
      state: data.state ?? null,
    };
    current = join(tmp, MANIFEST);
    await io.writeFile(current, [new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n')]);
    current = tmp;
    await io.syncDir(tmp);
    // Re-saving a step (e.g. after a resume): move the old one aside first, drop it once the new one is in place.
    const old = (await exists(final)) ? tempSibling(final, 'old') : undefined;
    if (old) await io.rename(final, old);
    current = final;
    await io.rename(tmp, final);
    await io.syncDir(root);
    if (old) await fs.rm(old, { recursive: true, force: true });
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    await cleanStaleTemps(root); // puts a moved-aside old checkpoint back
    if (e instanceof CheckpointError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(`write failed${code ? ` (${code})` : ''}: ${(e as Error).message}`, {
      file: current,
      cause: e,
    });
  }
  if (opts.keepLast !== undefined || opts.keepBest) await pruneCheckpoints(root, opts);
  return final;
}

async function exists(path: string): Promise<boolean> {
  return fs.stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Remove `.tmp-*` leftovers of interrupted saves and restore a `.old-step-*` that an interrupted re-save moved aside
 * (if its replacement never landed). Returns the removed paths.
 */
export async function cleanStaleTemps(root: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await fs.readdir(root).catch(() => [] as string[])) {
    const path = join(root, name);
    const old = /^\.old-(step-\d+)-/.exec(name);
    if (old && !(await exists(join(root, old[1]!)))) {
      await fs.rename(path, join(root, old[1]!));
    } else if (old || name.startsWith('.tmp-') || name.startsWith('.del-')) {
      await fs.rm(path, { recursive: true, force: true });
      removed.push(path);
    }
  }
  return removed;
}

/** Read and check a checkpoint's manifest (format and version). */
export async function readManifest(dir: string): Promise<Manifest> {
  const file = join(dir, MANIFEST);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new CheckpointError('cannot read the manifest (not a complete checkpoint)', { file, cause: e });
  }
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(text) as Partial<Manifest>;
  } catch (e) {
    throw new CheckpointError('manifest is not valid JSON (corrupt)', { file, cause: e });
  }
  if (m.format !== CHECKPOINT_FORMAT)
    throw new CheckpointError(`format is ${JSON.stringify(m.format)}, expected "${CHECKPOINT_FORMAT}"`, {
      file,
      unsupported: true,
    });
  if (m.version !== CHECKPOINT_VERSION)
    throw new CheckpointError(
      `format version ${m.version} is not supported (this vtx reads version ${CHECKPOINT_VERSION})`,
      { file, unsupported: true },
    );
  if (!Number.isSafeInteger(m.step) || typeof m.files !== 'object' || m.files === null)
    throw new CheckpointError('manifest lacks step or files (corrupt)', { file });
  return { metrics: {}, state: null, ...m } as Manifest;
}

/**
 * Load a checkpoint directory. Every file is checked against the manifest (size, sha256); a mismatch throws a
 * `CheckpointError` naming the file and, for a checksum mismatch, the damaged tensor(s).
 * `groups` limits which tensor groups are read (e.g. ['ema'] for sampling).
 */
export async function loadCheckpoint(
  dir: string,
  opts: { groups?: string[] } = {},
): Promise<LoadedCheckpoint> {
  const manifest = await readManifest(dir);
  const groups: Record<string, TensorGroup> = {};
  const wanted = opts.groups?.map((g) => `${g}.safetensors`);
  for (const w of wanted ?? [])
    if (!manifest.files[w])
      throw new CheckpointError(`no ${w} in this checkpoint`, { file: join(dir, MANIFEST) });
  for (const [name, entry] of Object.entries(manifest.files)) {
    if (wanted && !wanted.includes(name)) continue;
    const file = join(dir, name);
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(file);
    } catch (e) {
      throw new CheckpointError(`cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, {
        file,
        cause: e,
      });
    }
    if (bytes.byteLength !== entry.bytes)
      throw new CheckpointError(
        `is ${bytes.byteLength} bytes, the manifest says ${entry.bytes} (truncated or overwritten)`,
        { file },
      );
    if (sha256([bytes]) !== entry.sha256) throw diagnoseChecksum(bytes, entry, file);
    groups[name.replace(/\.safetensors$/, '')] = decodeSafetensors(bytes, file);
  }
  return {
    path: dir,
    step: manifest.step,
    groups,
    metrics: manifest.metrics,
    state: manifest.state,
    manifest,
  };
}

/** Name the tensor(s) whose bytes no longer match their recorded sha256 (or the header, if none does). */
function diagnoseChecksum(bytes: Uint8Array, entry: FileEntry, file: string): CheckpointError {
  const { spans } = readSafetensorsHeader(bytes, file); // throws itself when the header is what broke
  const unexpected = spans.filter((s) => !(s.name in entry.tensors)).map((s) => `'${s.name}'`);
  if (unexpected.length)
    return new CheckpointError(
      `sha256 mismatch: header damaged, tensor names ${unexpected.join(', ')} are not in the manifest`,
      { file },
    );
  const bad = spans.filter((s) => sha256([bytes.subarray(s.begin, s.end)]) !== entry.tensors[s.name]);
  if (bad.length === 0) return new CheckpointError('sha256 mismatch in the header', { file });
  const [first, ...rest] = bad;
  const more = rest.length ? ` (and ${rest.map((s) => `'${s.name}'`).join(', ')})` : '';
  return new CheckpointError(`sha256 mismatch, bytes ${first!.begin}..${first!.end} are damaged${more}`, {
    file,
    tensor: first!.name,
  });
}

export interface CheckpointInfo {
  path: string;
  step: number;
  manifest: Manifest;
}

/**
 * The complete checkpoints under `root`, oldest first. Temp dirs and step dirs without a manifest are skipped; a
 * manifest that exists but is corrupt or from an unsupported version throws a CheckpointError naming it (skipping
 * it would resume from an older checkpoint and later overwrite this one).
 */
export async function listCheckpoints(root: string): Promise<CheckpointInfo[]> {
  const out: CheckpointInfo[] = [];
  for (const name of await fs.readdir(root).catch(() => [] as string[])) {
    if (stepOfName(name) === undefined) continue;
    const path = join(root, name);
    const manifest = await readManifest(path).catch((e: unknown) => {
      if ((e as { cause?: NodeJS.ErrnoException }).cause?.code === 'ENOENT') return undefined;
      throw e;
    });
    if (manifest) out.push({ path, step: manifest.step, manifest });
  }
  return out.sort((a, b) => a.step - b.step);
}

/** Path of the newest complete checkpoint under `root`, or undefined. */
export async function latestCheckpoint(root: string): Promise<string | undefined> {
  return (await listCheckpoints(root)).at(-1)?.path;
}

/** Delete checkpoints outside the keep policy (newest k, plus the best by a metric). Returns the removed paths. */
export async function pruneCheckpoints(root: string, policy: KeepPolicy): Promise<string[]> {
  const all = await listCheckpoints(root);
  if (policy.keepLast !== undefined && policy.keepLast < 1)
    throw new CheckpointError(`keepLast must be ≥ 1, got ${policy.keepLast}`);
  const keep = new Set(
    (policy.keepLast === undefined ? all : all.slice(-policy.keepLast)).map((c) => c.path),
  );
  const best = policy.keepBest && bestOf(all, policy.keepBest.metric, policy.keepBest.mode);
  if (best) keep.add(best.path);
  const removed: string[] = [];
  for (const c of all) {
    if (keep.has(c.path)) continue;
    const trash = tempSibling(c.path, 'del'); // out of the listing at once, then deleted
    await fs.rename(c.path, trash);
    await fs.rm(trash, { recursive: true, force: true });
    removed.push(c.path);
  }
  return removed;
}

/** The best checkpoint by a metric, if any has it. */
export async function bestCheckpoint(
  root: string,
  metric: string,
  mode: 'min' | 'max',
): Promise<string | undefined> {
  return bestOf(await listCheckpoints(root), metric, mode)?.path;
}

/** The checkpoint with the best finite `metrics[metric]`; ties go to the newest. */
function bestOf(all: CheckpointInfo[], metric: string, mode: 'min' | 'max'): CheckpointInfo | undefined {
  const sign = mode === 'min' ? 1 : -1;
  const scored = all.filter((c) => Number.isFinite(c.manifest.metrics[metric]));
  scored.sort(
    (a, b) => sign * (a.manifest.metrics[metric]! - b.manifest.metrics[metric]!) || b.step - a.step,
  );
  return scored[0];
}
