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
  override readonly name: string = 'SafetensorsError';
  constructor(
    /** What is wrong, without the file/tensor prefix. */
    readonly reason: string,
    readonly file: string,
    readonly tensor?: string,
  ) {
    super(`${file}${tensor === undefined ? '' : `: tensor '${tensor}'`}: ${reason}`);
  }
}

/** Largest header accepted (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** One tensor's place in a file (absolute byte range [begin, end)). */
export interface SafetensorsSpan {
  name: string;
  dtype: SafeDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parse and validate the header of a safetensors file: dtypes, shapes, offsets that match the shapes, and a data
 * section the tensors cover exactly, contiguous and in order (the reference reader rejects gaps and trailing bytes,
 * and so does this one). Spans come back in offset order.
 */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  file = 'safetensors',
): { spans: SafetensorsSpan[]; metadata: Record<string, string>; dataStart: number } {
  const fail = (msg: string, tensor?: string) => new SafetensorsError(msg, file, tensor);
  if (bytes.byteLength < 8) throw fail(`${bytes.byteLength} bytes: too short for a header (truncated)`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER) throw fail(`header length ${n} is implausible (corrupt)`);
  if (8 + n > bytes.byteLength) {
    throw fail(`header length ${n} runs past the end of the ${bytes.byteLength}-byte file (truncated)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw fail(`header is not valid JSON (corrupt): ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw fail('header is not a JSON object (corrupt)');
  const dataStart = 8 + n;
  const dataLength = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const spans: SafetensorsSpan[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
        if (typeof v !== 'string') throw fail(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof e !== 'object' || e === null) throw fail('header entry is not an object', name);
    const dtype = e.dtype as SafeDType;
    if (typeof dtype !== 'string' || !(dtype in SAFE_DTYPE_BYTES))
      throw fail(`unsupported dtype ${JSON.stringify(e.dtype)}`, name);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw fail(`bad shape ${JSON.stringify(shape)}`, name);
    }
    const off = e.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      off[1] < off[0]
    ) {
      throw fail(`bad data_offsets ${JSON.stringify(off)}`, name);
    }
    const [b0, b1] = off as [number, number];
    const size = prod(shape as number[]) * SAFE_DTYPE_BYTES[dtype];
    if (b1 - b0 !== size) {
      throw fail(
        `data_offsets [${b0}, ${b1}] hold ${b1 - b0} bytes, a ${dtype} [${shape.join(',')}] tensor needs ${size}`,
        name,
      );
    }
    if (b1 > dataLength) {
      throw fail(
        `data [${b0}, ${b1}) runs past the end of the ${dataLength}-byte data section (truncated)`,
        name,
      );
    }
    spans.push({ name, dtype, shape: shape as number[], begin: dataStart + b0, end: dataStart + b1 });
  }
  spans.sort((a, b) => a.begin - b.begin);
  let at = dataStart;
  for (const s of spans) {
    if (s.begin !== at)
      throw fail(`data starts at byte ${s.begin}, expected ${at} (overlapping or gapped layout)`, s.name);
    at = s.end;
  }
  if (at !== bytes.byteLength) throw fail(`${bytes.byteLength - at} trailing bytes after the last tensor`);
  return { spans, metadata, dataStart };
}

/**
 * The header bytes (length prefix + JSON, padded so the data starts 8-byte aligned) for tensors laid out in the
 * given order, each `byteLength` long.
 */
export function safetensorsHeader(
  tensors: readonly { name: string; dtype: SafeDType; shape: readonly number[]; byteLength: number }[],
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header['__metadata__'] = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__')
      throw new SafetensorsError('the name __metadata__ is reserved', 'encode', t.name);
    const need = prod(t.shape) * SAFE_DTYPE_BYTES[t.dtype];
    if (t.byteLength !== need) {
      throw new SafetensorsError(
        `${t.byteLength} bytes of data for a ${t.dtype} tensor of shape [${t.shape.join(', ')}] (expected ${need})`,
        'encode',
        t.name,
      );
    }
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.byteLength] };
    offset += t.byteLength;
  }
  const enc = new TextEncoder();
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + enc.encode(json).byteLength) % 8)) % 8);
  const body = enc.encode(json);
  const out = new Uint8Array(8 + body.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(body.byteLength), true);
  out.set(body, 8);
  return out;
}

/**
 * Parse a safetensors file into float32 / int32 arrays: F64, F16 and BF16 are converted to float32, I64 / I16 /
 * I8 / U8 / BOOL to int32 (I64 values must fit in 32 bits, e.g. timesteps and class ids).
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  file = 'safetensors',
): { tensors: NamedArrays; metadata: Record<string, string> } {
  const { spans, metadata } = readSafetensorsHeader(bytes, file);
  const tensors: NamedArrays = {};
  const fail = (msg: string, tensor?: string) => new SafetensorsError(msg, file, tensor);
  for (const s of spans)
    tensors[s.name] = {
      shape: s.shape,
      data: convert(s.dtype, bytes.subarray(s.begin, s.end), fail, s.name),
    };
  return { tensors, metadata };
}

function convert(
  dtype: SafeDType,
  raw: Uint8Array,
  fail: (m: string, t?: string) => Error,
  name: string,
): Float32Array | Int32Array {
  const copy = new Uint8Array(raw); // an aligned copy (Buffer#slice would be a view into a shared pool)
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

/** Encode float32 / int32 arrays (F32 / I32) as one safetensors file, tensors in name order. */
export function encodeSafetensors(tensors: NamedArrays, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const t = tensors[name]!;
    if (t.data.length !== prod(t.shape))
      throw new SafetensorsError(`${t.data.length} values for shape [${t.shape.join(', ')}]`, 'encode', name);
  }
  const head = safetensorsHeader(
    names.map((name) => {
      const t = tensors[name]!;
      return {
        name,
        dtype: t.data instanceof Float32Array ? 'F32' : 'I32',
        shape: t.shape,
        byteLength: t.data.byteLength,
      };
    }),
    metadata,
  );
  const out = new Uint8Array(head.byteLength + names.reduce((n, k) => n + tensors[k]!.data.byteLength, 0));
  out.set(head);
  let at = head.byteLength;
  for (const name of names) {
    const d = tensors[name]!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}
