/**
 * @vtx/data: Apache Arrow video datasets (format v1), builders (synthetic bouncing shapes, Moving MNIST,
 * video files through ffmpeg, frame folders), a streaming loader with worker threads, and inspection.
 * Node only; no tfjs: batches are plain typed arrays the trainer turns into tensors.
 */
export { DataError } from './errors.js';
export { Rng } from './rng.js';
export * from './format/schema.js';
export { DatasetWriter, type DatasetWriterOptions } from './format/writer.js';
export { openDataset, readRows, ShardReader, ClipBatch, sha256File, type Dataset } from './format/reader.js';
