/**
 * Inputs of the video and frame-folder builders: a folder (class subfolders give labels, as in
 * UCF-101's layout) or a manifest, CSV `path,label[,caption]` (optional header row) or JSONL
 * `{"path": ..., "label": ..., "caption": ...}`, with paths relative to the manifest.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

import { DataError, messageOf } from '../errors.js';

export interface InputItem {
  path: string;
  label: string | null;
  caption: string | null;
}

/** Parse one CSV line: comma-separated, fields optionally in double quotes ("" escapes a quote). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

async function readManifest(file: string): Promise<InputItem[]> {
  const dir = path.dirname(file);
  const text = await fs.readFile(file, 'utf8');
  const items: InputItem[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    let rec: { path?: unknown; label?: unknown; caption?: unknown };
    if (file.endsWith('.jsonl')) {
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch (e) {
        throw new DataError(`${file} row ${i + 1}: not valid JSON (${messageOf(e)})`, { file, row: i + 1 });
      }
    } else {
      const f = parseCsvLine(line);
      if (i === 0 && f[0]?.toLowerCase() === 'path') continue; // header
      rec = { path: f[0], label: f[1] || null, caption: f[2] || null };
    }
    if (typeof rec.path !== 'string' || rec.path === '')
      throw new DataError(`${file} row ${i + 1}: missing path`, { file, row: i + 1 });
    items.push({
      path: path.resolve(dir, rec.path),
      label: typeof rec.label === 'string' || typeof rec.label === 'number' ? String(rec.label) : null,
      caption: typeof rec.caption === 'string' ? rec.caption : null,
    });
  }
  return items;
}

/**
 * List the inputs under `input`. A manifest (.csv/.jsonl) is read as is. In a folder, `isItem` picks
 * the items (video files, or folders of frames); an item inside a first-level subfolder gets that
 * subfolder's name as its label. Sorted by path, so builds are deterministic.
 */
export async function listInputs(
  input: string,
  isItem: (p: string, isDir: boolean) => boolean | Promise<boolean>,
): Promise<InputItem[]> {
  const st = await fs.stat(input).catch(() => null);
  if (!st) throw new DataError(`${input}: input not found`);
  if (st.isFile()) {
    if (!/\.(csv|jsonl)$/.test(input)) throw new DataError(`${input}: a manifest must be .csv or .jsonl`);
    return readManifest(input);
  }
  const items: InputItem[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (await isItem(p, e.isDirectory())) {
        const rel = path.relative(input, p).split(path.sep);
        items.push({ path: p, label: rel.length >= 2 ? rel[0]! : null, caption: null });
      } else if (e.isDirectory()) await walk(p, depth + 1);
    }
  };
  await walk(input, 0);
  return items;
}

/** Sorted distinct labels -> class names; null when no item has a label. */
export function labelNames(items: InputItem[]): string[] | null {
  const names = [...new Set(items.map((i) => i.label).filter((l): l is string => l !== null))].sort();
  return names.length > 0 ? names : null;
}
