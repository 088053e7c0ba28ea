// Bad input never yields silent garbage: each corruption gives a DataError naming the file (and row).
import fs from 'node:fs';
import path from 'node:path';
import * as A from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  DataError,
  DatasetWriter,
  openDataset,
  readRows,
  ShardReader,
  type ClipShape,
} from '../src/index.js';
import { clip, collect, tmpDir } from './helpers.js';

let good: string;
const S: ClipShape = [2, 4, 4, 3];

beforeAll(async () => {
  good = path.join(tmpDir(), 'good');
  const w = await DatasetWriter.create(good, { name: 'toy', dtype: 'uint8', builder: {}, batchBytes: 200 });
  for (let i = 0; i < 12; i++) await w.add(clip(i, S));
  await w.finish();
});

/** A copy of the good dataset, with `edit` applied to its first shard's bytes and/or index. */
function variant(edit: { shard?: (b: Buffer) => Buffer; index?: (ix: Record<string, unknown>) => void }): {
  dir: string;
  shard: string;
} {
  const dir = path.join(tmpDir(), 'bad');
  fs.cpSync(good, dir, { recursive: true });
  const ix = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
    shards: { file: string }[];
  } & Record<string, unknown>;
  const shard = path.join(dir, ix.shards[0]!.file);
  if (edit.shard) fs.writeFileSync(shard, edit.shard(fs.readFileSync(shard)));
  if (edit.index) {
    edit.index(ix);
    fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(ix));
  }
  return { dir, shard };
}

async function readAll(dir: string, verify = true): Promise<unknown> {
  return collect(readRows(await openDataset(dir, { verify })));
}

describe('corrupted datasets', () => {
  it('a truncated shard is reported by name', async () => {
    const { dir, shard } = variant({ shard: (b) => b.subarray(0, b.length - 100) });
    await expect(readAll(dir)).rejects.toThrow(`${shard}: size`);
  });

  it('a truncated shard whose index was also rewritten still fails clearly (no footer)', async () => {
    const { dir, shard } = variant({
      shard: (b) => b.subarray(0, b.length - 100),
      index: (ix) => {
        const s = (ix.shards as { bytes: number }[])[0]!;
        s.bytes -= 100;
      },
    });
    await expect(readAll(dir, false)).rejects.toThrow(`${shard}: not a readable Arrow IPC file`);
  });

  it('a flipped byte fails the checksum', async () => {
    const { dir, shard } = variant({ shard: (b) => ((b[300] = (b[300]! + 1) % 256), b) });
    const err = await readAll(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toMatch(`${shard}: checksum mismatch`);
  });

  it('a wrong schema version in the index is refused', async () => {
    const { dir } = variant({ index: (ix) => void (ix.schemaVersion = 99) });
    await expect(readAll(dir)).rejects.toThrow('schema version 99 is not supported');
  });

  it('a shape that disagrees with the clip bytes names the file and row', async () => {
    const dir = path.join(tmpDir(), 'mismatch');
    fs.cpSync(good, dir, { recursive: true });
    const ix = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as { shapes: number[][] };
    ix.shapes[0] = [2, 4, 4, 4]; // the index now claims 4 channels for every row
    fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(ix));
    await expect(readAll(dir)).rejects.toThrow(
      /toy-00000-of-00001\.arrow row 0: shape 2x4x4x3, index.json says 2x4x4x4/,
    );
  });

  it('an unknown column and a wrong schema version in the shard are refused', async () => {
    const ds = await openDataset(good);
    const file = path.join(good, ds.index.shards[0]!.file);
    const table = A.tableFromIPC(fs.readFileSync(file));
    const extra = new A.Table({
      ...Object.fromEntries(table.schema.fields.map((f) => [f.name, table.getChild(f.name)!])),
      bogus: A.vectorFromArray(
        Array.from({ length: table.numRows }, () => 1),
        new A.Int32(),
      ),
    });
    for (const [name, meta, want] of [
      ['extra', table.schema.metadata, 'unknown column(s) bogus'],
      [
        'v2',
        new Map([...table.schema.metadata, ['vtx.schemaVersion', '2']]),
        'schema version 2 is not supported',
      ],
    ] as const) {
      const t = name === 'extra' ? extra : table;
      const schema = new A.Schema(t.schema.fields, new Map(meta));
      const out = new A.Table(t.batches.map((b) => new A.RecordBatch(schema, b.data)));
      const { dir, shard } = variant({});
      const bytes = A.tableToIPC(out, 'file');
      fs.writeFileSync(shard, bytes);
      const ix = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
        shards: { bytes: number; batches: unknown[] }[];
      };
      ix.shards[0]!.bytes = bytes.byteLength;
      ix.shards[0]!.batches = ix.shards[0]!.batches.slice(0, out.batches.length);
      fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(ix));
      const dsBad = await openDataset(dir, { verify: false });
      await expect(ShardReader.open(dsBad, 0)).rejects.toThrow(`${shard}: ${want}`);
    }
  });

  it('garbage in a record batch body is caught as a row-level error, not returned', async () => {
    const ds = await openDataset(good);
    const reader = await ShardReader.open(ds, 0);
    const b = await reader.readBatch(1);
    const first = b.firstRow;
    await reader.close();
    // Overwrite the clip offsets region of batch 1 with 0xff (offsets become huge/negative).
    const { dir, shard } = variant({});
    const buf = fs.readFileSync(shard);
    const needle = Buffer.from(Int32Array.from([0, 96, 192]).buffer);
    const at = buf.indexOf(needle, buf.indexOf(needle) + 1); // second batch's offsets
    expect(at).toBeGreaterThan(0);
    buf.fill(0x7f, at + 4, at + 12);
    fs.writeFileSync(shard, buf);
    const dsBad = await openDataset(dir, { verify: false });
    const r = await ShardReader.open(dsBad, 0);
    await expect(r.readBatch(1)).rejects.toThrow(
      new RegExp(`${shard.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} row ${first}`),
    );
    await r.close();
  });
});
