/**
 * Still images for the frame-folder builder, prompt pictures and the contact sheet: PNG decoded through `pngjs`,
 * JPEG through `jpeg-js` (both pure JS, maintained), always returned as RGB24 (encoding is @vtx/media's
 * `encodePng`); and a bilinear resize to a target size (centre crop to the target aspect first, or stretch) that
 * reuses the loader's resampler.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import { normalization, applyClip, cropBox } from '../loader/transforms.js';
import { Rng } from '../rng.js';

export interface RgbImage {
  width: number;
  height: number;
  /** (H, W, 3) uint8 */
  data: Uint8Array;
}

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** Decode PNG or JPEG bytes (chosen by magic number) to RGB24. */
export function decodeImage(bytes: Uint8Array): RgbImage {
  if (bytes[0] === 0x89 && bytes[1] === 0x50) {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const rgb = new Uint8Array(png.width * png.height * 3);
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
      rgb[i] = png.data[j]!;
      rgb[i + 1] = png.data[j + 1]!;
      rgb[i + 2] = png.data[j + 2]!;
    }
    return { width: png.width, height: png.height, data: rgb };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, data: img.data };
  }
  throw new Error('not a PNG or JPEG image');
}

/** Resize to height x width: 'crop' takes the centred box with the target aspect first; 'stretch' does not. */
export function resizeImage(
  img: RgbImage,
  height: number,
  width: number,
  mode: 'crop' | 'stretch',
): RgbImage {
  if (img.height === height && img.width === width) return img;
  const target = { height, width };
  const box =
    mode === 'crop'
      ? cropBox({ kind: 'center', height, width }, img.height, img.width, target, new Rng(0))
      : { y: 0, x: 0, h: img.height, w: img.width };
  const out = new Float32Array(height * width * 3);
  applyClip(
    img.data,
    [1, img.height, img.width, 3],
    { frames: [0], box, flip: false },
    target,
    normalization({ kind: 'none' }, 'uint8', 3),
    null,
    out,
    0,
  );
  const data = new Uint8Array(out.length);
  for (let i = 0; i < out.length; i++) data[i] = Math.min(255, Math.max(0, Math.round(out[i]!)));
  return { width, height, data };
}
