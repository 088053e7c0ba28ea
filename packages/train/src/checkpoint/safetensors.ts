/**
 * The safetensors file format (huggingface/safetensors, `docs/source/index.mdx` and `safetensors/src/tensor.rs`):
 *   [u64 little-endian N][N bytes of UTF-8 JSON header, space-padded][raw little-endian tensor data]
 *   header = { "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, …,
 *              "__metadata__": { "<key>": "<string>" } }
 * Offsets are relative to the start of the data section; tensors are contiguous, in offset order, and cover the
 * data section exactly (the reference reader rejects gaps and trailing bytes, and so does this one). No npm package
 * for it is maintained, and the format is small, so it is written out here.
 */
import { endianness } from 'node:os';
import { CheckpointError } from './errors.js';
import {
  DTYPE_BYTES,
  bytesOf,
  product,
  viewAs,
  type DType,
  type HostTensor,
  type TensorGroup,
} from './host-tensor.js';

if (endianness() !== 'LE') throw new Error('vtx checkpoints assume a little-endian host');

/** Largest header accepted (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;

interface Entry {
  dtype: DType;
  shape: number[];
  data_offsets: [number, number];
}

/** One tensor's place in a file, for diagnostics (byte ranges are absolute file offsets). */
export interface TensorSpan {
  name: string;
  dtype: DType;
  shape: number[];
  /** Absolute byte range [begin, end) in the file. */
  begin: number;
  end: number;
}

/**
 * Encode a tensor group as safetensors, returned as chunks (header, then each tensor's bytes) so large weights are
 * not copied into one buffer. Tensors are laid out in name order.
 */
export function encodeSafetensors(group: TensorGroup): Uint8Array[] {
  const names = Object.keys(group.tensors).sort();
  const header: Record<string, Entry | Record<string, string>> = {};
  if (Object.keys(group.metadata).length) header.__metadata__ = group.metadata;
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const name of names) {
    if (name === '__metadata__')
      throw new CheckpointError('the name __metadata__ is reserved', { tensor: name });
    const t = group.tensors[name]!;
    const bytes = bytesOf(t);
    const expected = product(t.shape) * DTYPE_BYTES[t.dtype];
    if (bytes.byteLength !== expected)
      throw new CheckpointError(
        `${bytes.byteLength} bytes of data for a ${t.dtype} tensor of shape [${t.shape}] (expected ${expected})`,
        {
          tensor: name,
        },
      );
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
    chunks.push(bytes);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // data starts 8-byte aligned
  const jsonBytes = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8 + jsonBytes.byteLength);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(jsonBytes.byteLength), true);
  prefix.set(jsonBytes, 8);
  return [prefix, ...chunks];
}

/** Parse and validate the header of a safetensors file; `file` labels errors. */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  file = 'safetensors',
): { spans: TensorSpan[]; metadata: Record<string, string>; dataStart: number } {
  if (bytes.byteLength < 8)
    throw new CheckpointError(`${bytes.byteLength} bytes: too short for a header (truncated)`, { file });
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER) throw new CheckpointError(`header length ${n} is implausible (corrupt)`, { file });
  if (8 + n > bytes.byteLength)
    throw new CheckpointError(
      `header length ${n} runs past the end of the ${bytes.byteLength}-byte file (truncated)`,
      { file },
    );
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new CheckpointError(`header is not valid JSON (corrupt): ${(e as Error).message}`, {
      file,
      cause: e,
    });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new CheckpointError('header is not a JSON object (corrupt)', { file });
  const dataStart = 8 + n;
  const dataLength = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const spans: TensorSpan[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new CheckpointError(`__metadata__.${k} is not a string`, { file });
        metadata[k] = v;
      }
      continue;
    }
    spans.push(checkEntry(raw, name, file, dataStart, dataLength));
  }
  spans.sort((a, b) => a.begin - b.begin);
  let at = dataStart;
  for (const s of spans) {
    if (s.begin !== at)
      throw new CheckpointError(
        `data starts at byte ${s.begin}, expected ${at} (overlapping or gapped layout)`,
        { file, tensor: s.name },
      );
    at = s.end;
  }
  if (at !== bytes.byteLength)
    throw new CheckpointError(`${bytes.byteLength - at} trailing bytes after the last tensor`, { file });
  return { spans, metadata, dataStart };
}

function checkEntry(
  raw: unknown,
  name: string,
  file: string,
  dataStart: number,
  dataLength: number,
): TensorSpan {
  const e = raw as Partial<Entry> | null;
  const fail = (msg: string) => new CheckpointError(msg, { file, tensor: name });
  if (typeof e !== 'object' || e === null) throw fail('header entry is not an object');
  if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES))
    throw fail(`unsupported dtype ${JSON.stringify(e.dtype)}`);
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw fail(`bad shape ${JSON.stringify(e.shape)}`);
  const off = e.data_offsets;
  if (
    !Array.isArray(off) ||
    off.length !== 2 ||
    !off.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    off[1] < off[0]
  )
    throw fail(`bad data_offsets ${JSON.stringify(off)}`);
  const size = product(e.shape) * DTYPE_BYTES[e.dtype];
  if (off[1] - off[0] !== size)
    throw fail(
      `data_offsets [${off[0]}, ${off[1]}] hold ${off[1] - off[0]} bytes, a ${e.dtype} [${e.shape}] tensor needs ${size}`,
    );
  if (off[1] > dataLength)
    throw fail(
      `data [${off[0]}, ${off[1]}) runs past the end of the ${dataLength}-byte data section (truncated)`,
    );
  return { name, dtype: e.dtype, shape: e.shape, begin: dataStart + off[0], end: dataStart + off[1] };
}

/** Decode a whole safetensors file into a tensor group (the data is copied into aligned typed arrays). */
export function decodeSafetensors(bytes: Uint8Array, file = 'safetensors'): TensorGroup {
  const { spans, metadata } = readSafetensorsHeader(bytes, file);
  const tensors: Record<string, HostTensor> = {};
  for (const s of spans)
    tensors[s.name] = {
      dtype: s.dtype,
      shape: s.shape,
      data: viewAs(s.dtype, bytes.subarray(s.begin, s.end)),
    };
  return { tensors, metadata };
}
