/**
 * The safetensors file format (huggingface/safetensors, `docs/source/index.mdx` and `safetensors/src/tensor.rs`):
 *   [u64 little-endian N][N bytes of UTF-8 JSON header, space-padded][raw little-endian tensor data]
 *   header = { "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, …,
 *              "__metadata__": { "<key>": "<string>" } }
 * Offsets are relative to the start of the data section; tensors are contiguous, in offset order, and cover the
 * data section exactly (the reference reader rejects gaps and trailing bytes, and so does this one). The header format and
 * its validation live in @vtx/core (browser-safe); this file adds checkpoint concerns: every dtype as host tensors,
 * chunked output, and CheckpointError naming the file and tensor.
 */
import {
  SafetensorsError,
  readSafetensorsHeader as parseHeader,
  safetensorsHeader,
  type SafetensorsSpan,
} from '@vtx/core';
import { CheckpointError } from './errors.js';
import { bytesOf, viewAs, type HostTensor, type TensorGroup } from './host-tensor.js';

/** One tensor's place in a file, for diagnostics (byte ranges are absolute file offsets). */
export type TensorSpan = SafetensorsSpan;

function asCheckpointError(e: unknown): unknown {
  return e instanceof SafetensorsError
    ? new CheckpointError(e.reason, {
        ...(e.file === 'encode' ? {} : { file: e.file }),
        ...(e.tensor === undefined ? {} : { tensor: e.tensor }),
        cause: e,
      })
    : e;
}

/**
 * Encode a tensor group as safetensors, returned as chunks (header, then each tensor's bytes) so large weights are
 * not copied into one buffer. Tensors are laid out in name order.
 */
export function encodeSafetensors(group: TensorGroup): Uint8Array[] {
  const names = Object.keys(group.tensors).sort();
  const chunks = names.map((name) => bytesOf(group.tensors[name]!));
  try {
    const header = safetensorsHeader(
      names.map((name, i) => ({
        name,
        dtype: group.tensors[name]!.dtype,
        shape: group.tensors[name]!.shape,
        byteLength: chunks[i]!.byteLength,
      })),
      group.metadata,
    );
    return [header, ...chunks];
  } catch (e) {
    throw asCheckpointError(e);
  }
}

/** Parse and validate the header of a safetensors file; `file` labels errors (CheckpointError). */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  file = 'safetensors',
): { spans: TensorSpan[]; metadata: Record<string, string>; dataStart: number } {
  try {
    return parseHeader(bytes, file);
  } catch (e) {
    throw asCheckpointError(e);
  }
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
