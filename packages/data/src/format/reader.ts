/**
 * Reading a vtx dataset: `openDataset` validates index.json (format, schema version, shard sizes and,
 * by default, sha256), `ShardReader` gives random access to one shard's record batches through the
 * async *file* reader over a file handle, the only Arrow JS reader that neither buffers the whole file
 * nor scans it (docs/notes/arrow-io.md: ~140 MB RSS for a 938 MB file). Clip bytes are
 * zero-copy views into the record batch. Every check failure is a DataError naming the file and row.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as A from 'apache-arrow';

import { DataError, dataError, messageOf } from '../errors.js';
import {
  arrowSchema,
  clipBytes,
  COLUMN_NAMES,
  DatasetIndex,
  FORMAT_NAME,
  SCHEMA_VERSION,
  shapeKey,
  type ClipRecord,
  type ClipShape,
} from './schema.js';

export interface Dataset {
  dir: string;
  index: DatasetIndex;
  /** Global row id of each shard's first row. */
  shardOffsets: number[];
}

/** Open a dataset directory: parse and check index.json and the shard files (sizes; sha256 if `verify`). */
export async function openDataset(dir: string, opts: { verify?: boolean } = {}): Promise<Dataset> {
  const indexPath = path.join(dir, 'index.json');
  let text: string;
  try {
    text = await fs.readFile(indexPath, 'utf8');
  } catch (e) {
    throw dataError(
      indexPath,
      `cannot read the dataset index (${messageOf(e)}); is '${dir}' a vtx dataset?`,
      undefined,
      e,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw dataError(indexPath, `not valid JSON (${messageOf(e)})`, undefined, e);
  }
  const r = raw as { format?: unknown; schemaVersion?: unknown } | null;
  if (r?.format !== FORMAT_NAME)
    throw dataError(indexPath, `format is '${String(r?.format)}', expected '${FORMAT_NAME}'`);
  if (r.schemaVersion !== SCHEMA_VERSION) {
    throw dataError(
      indexPath,
      `schema version ${String(r.schemaVersion)} is not supported (this reader reads ${SCHEMA_VERSION})`,
    );
  }
  const parsed = DatasetIndex.safeParse(raw);
  if (!parsed.success)
    throw dataError(
      indexPath,
      `invalid index: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const index = parsed.data;
  const shardOffsets: number[] = [];
  let rows = 0;
  for (const s of index.shards) {
    shardOffsets.push(rows);
    rows += s.rows;
    const file = path.join(dir, s.file);
    const st = await fs.stat(file).catch(() => null);
    if (!st) throw dataError(file, 'shard listed in index.json is missing');
    if (st.size !== s.bytes)
      throw dataError(file, `size ${st.size} B != ${s.bytes} B in index.json (truncated or replaced?)`);
    if (opts.verify ?? true) {
      const sha = await sha256File(file);
      if (sha !== s.sha256)
        throw dataError(file, `checksum mismatch: sha256 ${sha}, index.json says ${s.sha256}`);
    }
    const batchRows = s.batches.reduce((a, b) => a + b.rows, 0);
    if (batchRows !== s.rows)
      throw dataError(indexPath, `shard ${s.file}: batches hold ${batchRows} rows, rows says ${s.rows}`);
  }
  if (rows !== index.rows) throw dataError(indexPath, `shards hold ${rows} rows, rows says ${index.rows}`);
  return { dir, index, shardOffsets };
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Random access to the record batches of one shard. */
export class ShardReader {
  private constructor(
    readonly file: string,
    private readonly fh: fs.FileHandle,
    private readonly reader: A.AsyncRecordBatchFileReader,
    private readonly ds: Dataset,
    readonly shard: number,
    /** Shard-local row of each record batch's first row. */
    readonly batchOffsets: number[],
  ) {}

  static async open(ds: Dataset, shard: number): Promise<ShardReader> {
    const info = ds.index.shards[shard];
    if (!info) throw new DataError(`${ds.dir}: no shard ${shard}`);
    const file = path.join(ds.dir, info.file);
    const fh = await fs.open(file, 'r');
    let reader: A.AsyncRecordBatchFileReader;
    try {
      const r = await A.RecordBatchReader.from(fh);
      await r.open();
      if (!r.isFile() || !r.isAsync()) throw new Error('not an Arrow IPC file (no footer)');
      reader = r;
    } catch (e) {
      await fh.close();
      if (e instanceof DataError) throw e;
      throw dataError(
        file,
        `not a readable Arrow IPC file, truncated or corrupted (${messageOf(e)})`,
        undefined,
        e,
      );
    }
    try {
      checkSchema(file, reader.schema, ds.index.dtype);
      if (reader.numRecordBatches !== info.batches.length) {
        throw dataError(
          file,
          `${reader.numRecordBatches} record batches, index.json lists ${info.batches.length}`,
        );
      }
    } catch (e) {
      await fh.close();
      throw e;
    }
    const offsets: number[] = [];
    let o = 0;
    for (const b of info.batches) {
      offsets.push(o);
      o += b.rows;
    }
    return new ShardReader(file, fh, reader, ds, shard, offsets);
  }

  get numBatches(): number {
    return this.batchOffsets.length;
  }

  /** Read record batch `k` and check every row's shape and byte length against the index. */
  async readBatch(k: number): Promise<ClipBatch> {
    const info = this.ds.index.shards[this.shard]!.batches[k];
    const first = this.batchOffsets[k];
    if (!info || first === undefined) throw new DataError(`${this.file}: no record batch ${k}`);
    const rowsAt = `rows ${first}..${first + info.rows - 1} (record batch ${k})`;
    let batch: A.RecordBatch | null;
    try {
      batch = await this.reader.readRecordBatch(k);
    } catch (e) {
      throw dataError(this.file, `${rowsAt}: cannot decode, corrupted (${messageOf(e)})`, first, e);
    }
    if (!batch) throw dataError(this.file, `${rowsAt}: missing record batch`, first);
    if (batch.numRows !== info.rows)
      throw dataError(this.file, `${rowsAt}: ${batch.numRows} rows, index.json says ${info.rows}`, first);
    return new ClipBatch(this.file, first, batch, this.ds, info.shapes);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

function checkSchema(file: string, schema: A.Schema, dtype: string): void {
  const meta = schema.metadata;
  const version = meta.get('vtx.schemaVersion');
  if (version !== String(SCHEMA_VERSION)) {
    throw dataError(
      file,
      `schema version ${version ?? '(none)'} is not supported (this reader reads ${SCHEMA_VERSION})`,
    );
  }
  if (meta.get('vtx.dtype') !== dtype)
    throw dataError(file, `dtype ${meta.get('vtx.dtype')}, index.json says ${dtype}`);
  const names = schema.fields.map((f) => f.name);
  const unknown = names.filter((n) => !COLUMN_NAMES.includes(n));
  if (unknown.length > 0)
    throw dataError(
      file,
      `unknown column(s) ${unknown.join(', ')} (schema v${SCHEMA_VERSION} has ${COLUMN_NAMES.join(', ')})`,
    );
  const expected = arrowSchema(dtype === 'float32' ? 'float32' : 'uint8');
  for (const f of expected.fields) {
    const got = schema.fields.find((g) => g.name === f.name);
    if (!got) throw dataError(file, `missing column ${f.name}`);
    if (String(got.type) !== String(f.type))
      throw dataError(file, `column ${f.name} is ${String(got.type)}, expected ${String(f.type)}`);
  }
}

/** One decoded record batch; `row(i)` returns a clip whose bytes are a zero-copy view. */
export class ClipBatch {
  private readonly offsets: Int32Array;
  private readonly values: Uint8Array;
  private readonly dims: Int32Array;
  private readonly dimsOffset: number;

  constructor(
    readonly file: string,
    /** Shard-local row of row 0. */
    readonly firstRow: number,
    readonly batch: A.RecordBatch,
    readonly ds: Dataset,
    shapeRuns: [number, number][],
  ) {
    const clip = batch.getChild('clip')!.data[0] as A.Data<A.Binary>;
    this.offsets = clip.valueOffsets.subarray(clip.offset, clip.offset + clip.length + 1);
    this.values = clip.values;
    const shape = batch.getChild('shape')!.data[0]!;
    this.dims = shape.children[0]!.values as Int32Array;
    this.dimsOffset = shape.children[0]!.offset + 4 * shape.offset;
    // Check each row against the index: shape as listed, bytes = prod(shape) * sizeof(dtype).
    let i = 0;
    for (const [id, run] of shapeRuns) {
      const want = ds.index.shapes[id]!;
      for (let k = 0; k < run; k++, i++) {
        const got = this.shape(i);
        if (shapeKey(got) !== shapeKey(want)) {
          throw dataError(file, `shape ${shapeKey(got)}, index.json says ${shapeKey(want)}`, firstRow + i);
        }
        const n = (this.offsets[i + 1] as number) - (this.offsets[i] as number);
        const need = clipBytes(got, ds.index.dtype);
        if (n !== need)
          throw dataError(
            file,
            `shape ${shapeKey(got)} ${ds.index.dtype} needs ${need} bytes, got ${n}`,
            firstRow + i,
          );
      }
    }
    if ((this.offsets[this.numRows] as number) > this.values.byteLength) {
      throw dataError(file, `clip bytes end past the values buffer (corrupted)`, firstRow);
    }
  }

  get numRows(): number {
    return this.batch.numRows;
  }

  shape(i: number): ClipShape {
    const o = this.dimsOffset + 4 * i;
    return [this.dims[o], this.dims[o + 1], this.dims[o + 2], this.dims[o + 3]] as ClipShape;
  }

  /** Zero-copy view of row i's clip bytes. */
  bytes(i: number): Uint8Array {
    return this.values.subarray(this.offsets[i], this.offsets[i + 1]);
  }

  label(i: number): number | null {
    return (this.batch.getChild('label')!.get(i) as number | null) ?? null;
  }

  caption(i: number, variant: 'descriptive' | 'terse' = 'descriptive'): string | null {
    return (
      (this.batch.getChild(variant === 'terse' ? 'captionTerse' : 'caption')!.get(i) as string | null) ?? null
    );
  }

  attributes(i: number): Record<string, string> | null {
    return this.json(i, 'attributes') as Record<string, string> | null;
  }

  /** The whole row; `data` is a zero-copy view. */
  row(i: number): ClipRecord {
    return {
      id: this.batch.getChild('id')!.get(i) as string,
      source: this.batch.getChild('source')!.get(i) as string,
      data: this.bytes(i),
      shape: this.shape(i),
      label: this.label(i),
      caption: this.caption(i),
      captionTerse: this.caption(i, 'terse'),
      attributes: this.attributes(i),
      fps: (this.batch.getChild('fps')!.get(i) as number | null) ?? null,
      meta: this.json(i, 'meta') as Record<string, unknown> | null,
    };
  }

  private json(i: number, column: string): unknown {
    const s = this.batch.getChild(column)!.get(i) as string | null;
    if (s === null) return null;
    try {
      return JSON.parse(s);
    } catch (e) {
      throw dataError(
        this.file,
        `column ${column} is not valid JSON (${messageOf(e)})`,
        this.firstRow + i,
        e,
      );
    }
  }
}

/** Every row of a dataset in storage order, one record batch in memory at a time. */
export async function* readRows(ds: Dataset): AsyncGenerator<ClipRecord & { row: number }> {
  for (let s = 0; s < ds.index.shards.length; s++) {
    const reader = await ShardReader.open(ds, s);
    try {
      for (let k = 0; k < reader.numBatches; k++) {
        const b = await reader.readBatch(k);
        const base = ds.shardOffsets[s]! + reader.batchOffsets[k]!;
        for (let i = 0; i < b.numRows; i++) yield { ...b.row(i), row: base + i };
      }
    } finally {
      await reader.close();
    }
  }
}
