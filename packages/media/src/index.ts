/**
 * @vtx/media — clips as pictures a person can look at: a batch (N, T, H, W, C) as an animated GIF grid or a PNG
 * contact sheet with an optional label column, written atomically; the RGBA grid frames and PNG bytes for
 * TensorBoard images; the one PNG and GIF encoder (`encodePng`, `encodeGif`, also behind `@vtx/data`'s contact
 * sheets). Used by training samples, `vtx sample`, reconstructions, sample quality, ablations and `vtx data inspect`.
 * No tfjs: callers hand over a `ClipArray` (a Float32Array and its shape).
 */
export {
  encodeGif,
  encodePng,
  gridFrames,
  labelColumnWidth,
  writeGifGrid,
  writePngSheet,
  type ClipArray,
  type GridOptions,
} from './clip-grid.js';
