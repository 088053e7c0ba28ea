/**
 * The safetensors format (huggingface/safetensors), browser-safe, on bytes:
 *   [u64 little-endian N][N bytes of UTF-8 JSON header][raw little-endian tensor data]
 *   header = { "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, …,
 *              "__metadata__": { "<key>": "<string>" } }
 * Used for PyTorch checkpoint interop (official DiT / timm weights) and `vtx predict` inputs and outputs.
 * Every malformed file is a `SafetensorsError` naming the file and, where it applies, the tensor.
 */

export type SafeDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const SAFE_DTYPE_BYTES: Record<SafeDType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** One tensor read from or written to a safetensors file, as float32 or int32 values (row-major). */
export interface NamedArray {
  shape: number[];
  data: Float32Array | Int32Array;
}
export type NamedArrays = Record<string, NamedArray>;

export class SafetensorsError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly tensor?: string,
  ) {
    super(`${file}${tensor ? ` tensor '${tensor}'` : ''}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

const MAX_HEADER = 100_000_000;
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Parse a safetensors file into float32 / int32 arrays: F64, F16 and BF16 are converted to float32, I64 / I16 /
 * I8 / U8 / BOOL to int32 (I64 values must fit in 32 bits, e.g. timesteps and class ids).
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  file = 'safetensors',
): { tensors: NamedArrays; metadata: Record<string, string> } {
  const fail = (msg: string, tensor?: string) => new SafetensorsError(msg, file, tensor);
  if (bytes.byteLength < 8) throw fail(`${bytes.byteLength} bytes: too short for a header (truncated)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER) throw fail(`header length ${n} is implausible (corrupt)`);
  if (8 + n > bytes.byteLength)
    throw fail(`header length ${n} runs past the end of the ${bytes.byteLength}-byte file (truncated)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw fail(`header is not valid JSON (corrupt): ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw fail('header is not a JSON object (corrupt)');
  const start = 8 + n;
  const tensors: NamedArrays = {};
  const metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) metadata[k] = String(v);
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = e?.dtype as SafeDType;
    if (typeof dtype !== 'string' || !(dtype in SAFE_DTYPE_BYTES))
      throw fail(`unsupported dtype ${JSON.stringify(e?.dtype)}`, name);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw fail(`bad shape ${JSON.stringify(shape)}`, name);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw fail(`bad data_offsets ${JSON.stringify(off)}`, name);
    }
    const [b0, b1] = off as [number, number];
    const size = prod(shape as number[]) * SAFE_DTYPE_BYTES[dtype];
    if (b1 - b0 !== size)
      throw fail(
        `data_offsets [${b0}, ${b1}] hold ${b1 - b0} bytes, a ${dtype} [${shape.join(', ')}] tensor needs ${size}`,
        name,
      );
    if (start + b1 > bytes.byteLength) throw fail(`data runs past the end of the file (truncated)`, name);
    tensors[name] = {
      shape: shape as number[],
      data: convert(dtype, bytes.subarray(start + b0, start + b1), fail, name),
    };
  }
  return { tensors, metadata };
}

function convert(
  dtype: SafeDType,
  raw: Uint8Array,
  fail: (m: string, t?: string) => Error,
  name: string,
): Float32Array | Int32Array {
  const copy = raw.slice(); // aligned
  const buf = copy.buffer;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf);
    case 'F64':
      return Float32Array.from(new Float64Array(buf));
    case 'F16':
      return Float32Array.from(new Uint16Array(buf), halfToFloat);
    case 'BF16':
      return Float32Array.from(
        new Uint16Array(buf),
        (h) => new Float32Array(new Uint32Array([h << 16]).buffer)[0]!,
      );
    case 'I32':
      return new Int32Array(buf);
    case 'I64': {
      const big = new BigInt64Array(buf);
      const out = new Int32Array(big.length);
      for (let i = 0; i < big.length; i++) {
        const v = big[i]!;
        if (v > 2147483647n || v < -2147483648n) throw fail(`I64 value ${v} does not fit in int32`, name);
        out[i] = Number(v);
      }
      return out;
    }
    case 'I16':
      return Int32Array.from(new Int16Array(buf));
    case 'I8':
      return Int32Array.from(new Int8Array(buf));
    case 'U8':
    case 'BOOL':
      return Int32Array.from(new Uint8Array(buf));
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Encode float32 / int32 arrays (F32 / I32) as a safetensors file, tensors in name order. */
export function encodeSafetensors(tensors: NamedArrays, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header['__metadata__'] = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    if (t.data.length !== prod(t.shape))
      throw new SafetensorsError(`${t.data.length} values for shape [${t.shape.join(', ')}]`, 'encode', name);
    const bytes = t.data.byteLength;
    header[name] = {
      dtype: t.data instanceof Float32Array ? 'F32' : 'I32',
      shape: t.shape,
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).byteLength) % 8)) % 8); // 8-byte aligned data
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  let at = 8 + head.byteLength;
  for (const name of names) {
    const d = tensors[name]!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}
