import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  fromHost,
  hostValues,
  toHost,
  type TensorGroup,
} from '../src/index.js';

/** A safetensors file assembled byte by byte from the format description (not by the code under test). */
function handMade(header: string, data: number[]): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true); // u64 LE, high word 0
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const concat = (chunks: Uint8Array[]) => new Uint8Array(Buffer.concat(chunks));

describe('safetensors', () => {
  it('reads a hand-assembled file: F32, I64, F64, BF16, F16, I32, BOOL and __metadata__', () => {
    const header =
      '{"__metadata__":{"format":"pt"},' +
      '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"I64","shape":[1],"data_offsets":[8,16]},' +
      '"c":{"dtype":"F64","shape":[],"data_offsets":[16,24]},' +
      '"d":{"dtype":"BF16","shape":[2],"data_offsets":[24,28]},' +
      '"e":{"dtype":"F16","shape":[3],"data_offsets":[28,34]},' +
      '"f":{"dtype":"I32","shape":[1,1],"data_offsets":[34,38]},' +
      '"g":{"dtype":"BOOL","shape":[2],"data_offsets":[38,40]}}';
    const data = [
      ...[0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0], // F32 1, -2
      ...[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // I64 -2
      ...[0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x40], // F64 2.5
      ...[0x80, 0x3f, 0x40, 0xc0], // BF16 1, -3
      ...[0x00, 0x3c, 0x00, 0xb8, 0x00, 0x7c], // F16 1, -0.5, +inf
      ...[0x07, 0x00, 0x00, 0x00], // I32 7
      ...[0x01, 0x00], // BOOL true, false
    ];
    const g = decodeSafetensors(handMade(header, data));
    expect(g.metadata).toEqual({ format: 'pt' });
    expect(hostValues(g.tensors.a!)).toEqual([1, -2]);
    expect(hostValues(g.tensors.b!)).toEqual([-2]);
    expect(g.tensors.c).toMatchObject({ dtype: 'F64', shape: [] });
    expect(hostValues(g.tensors.c!)).toEqual([2.5]);
    expect(hostValues(g.tensors.d!)).toEqual([1, -3]);
    expect(hostValues(g.tensors.e!)).toEqual([1, -0.5, Infinity]);
    expect(Array.from(fromHost(g.tensors.f!).dataSync())).toEqual([7]);
    expect(fromHost(g.tensors.b!).dtype).toBe('int32');
    expect(Array.from(fromHost(g.tensors.d!).dataSync())).toEqual([1, -3]);
    expect(Array.from(fromHost(g.tensors.g!).dataSync())).toEqual([1, 0]);
  });

  it('writes the layout the format prescribes: u64 header length, 8-aligned data, contiguous offsets in name order', () => {
    const group: TensorGroup = {
      tensors: {
        z: { dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
        a: { dtype: 'I32', shape: [3], data: Int32Array.of(-1, 0, 1) },
      },
      metadata: { step: '12' },
    };
    const bytes = concat(encodeSafetensors(group));
    const view = new DataView(bytes.buffer);
    const n = Number(view.getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
    expect(header).toEqual({
      __metadata__: { step: '12' },
      a: { dtype: 'I32', shape: [3], data_offsets: [0, 12] },
      z: { dtype: 'F32', shape: [2, 2], data_offsets: [12, 28] },
    });
    expect(view.getInt32(8 + n, true)).toBe(-1);
    expect(view.getFloat32(8 + n + 12 + 12, true)).toBe(4);
    expect(bytes.length).toBe(8 + n + 28);
    const back = decodeSafetensors(bytes);
    expect(Array.from(back.tensors.z!.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(back.metadata).toEqual({ step: '12' });
  });

  it('round-trips tfjs tensors through host tensors', async () => {
    const t = tf.tensor([
      [0.1, -2e-7],
      [3e8, 5],
    ]);
    const back = fromHost(
      decodeSafetensors(concat(encodeSafetensors({ tensors: { t: await toHost(t) }, metadata: {} }))).tensors
        .t!,
    );
    expect(back.shape).toEqual([2, 2]);
    expect(Array.from(back.dataSync())).toEqual(Array.from(t.dataSync()));
  });

  it('rejects truncation, bad offsets, trailing bytes and unknown dtypes, naming the tensor', () => {
    const ok = handMade(
      '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}',
      [0, 0, 128, 63, 0, 0, 0, 64],
    );
    expect(() => decodeSafetensors(ok.subarray(0, ok.length - 1), 'x.safetensors')).toThrow(
      /x\.safetensors: tensor 'w': .*runs past the end.*truncated/,
    );
    expect(() => decodeSafetensors(ok.subarray(0, 20), 'x.safetensors')).toThrow(/header length .*truncated/);
    expect(() => decodeSafetensors(ok.subarray(0, 5))).toThrow(CheckpointError);
    expect(() =>
      decodeSafetensors(
        handMade('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', new Array<number>(8).fill(0)),
      ),
    ).toThrow(/tensor 'w'.*needs 12/);
    expect(() =>
      decodeSafetensors(
        handMade('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Array<number>(8).fill(0)),
      ),
    ).toThrow(/4 trailing bytes/);
    expect(() =>
      decodeSafetensors(
        handMade('{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}', new Array<number>(4).fill(0)),
      ),
    ).toThrow(/tensor 'w': unsupported dtype "Q4"/);
    expect(() => decodeSafetensors(handMade('{"w":', []))).toThrow(/not valid JSON/);
  });
});
