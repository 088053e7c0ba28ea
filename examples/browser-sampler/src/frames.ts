/**
 * Clips as pixels: (T, H, W, C) values in [-1, 1] -> one RGBA image per frame, drawn to canvases and encoded as an
 * animated GIF with gifenc. 1-channel clips are grey; more than 3 channels show the first three.
 */
import { GIFEncoder, applyPalette, quantize } from 'gifenc';

export interface Clip {
  /** (T, H, W, C) row-major. */
  data: Float32Array;
  shape: [number, number, number, number];
}

const toByte = (v: number) => Math.max(0, Math.min(255, Math.round(((v + 1) / 2) * 255)));

/** RGBA bytes of frame f, magnified `scale` times (nearest neighbour). */
export function frameRGBA(clip: Clip, f: number, scale = 1): Uint8ClampedArray<ArrayBuffer> {
  const [, h, w, c] = clip.shape;
  const out = new Uint8ClampedArray(h * scale * w * scale * 4);
  for (let y = 0; y < h * scale; y++) {
    for (let x = 0; x < w * scale; x++) {
      const src = ((f * h + Math.floor(y / scale)) * w + Math.floor(x / scale)) * c;
      const o = (y * w * scale + x) * 4;
      for (let ch = 0; ch < 3; ch++) out[o + ch] = toByte(clip.data[src + (c >= 3 ? ch : 0)]!);
      out[o + 3] = 255;
    }
  }
  return out;
}

/** Draw every frame side by side into `canvas` (a filmstrip). */
export function drawStrip(canvas: HTMLCanvasElement, clip: Clip, scale: number, gap = 4): void {
  const [t, h, w] = clip.shape;
  canvas.width = t * w * scale + (t - 1) * gap;
  canvas.height = h * scale;
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (let f = 0; f < t; f++) {
    ctx.putImageData(
      new ImageData(frameRGBA(clip, f, scale), w * scale, h * scale),
      f * (w * scale + gap),
      0,
    );
  }
}

/** Draw frame f of the clip into `canvas`. */
export function drawFrame(canvas: HTMLCanvasElement, clip: Clip, f: number, scale: number): void {
  const [, h, w] = clip.shape;
  canvas.width = w * scale;
  canvas.height = h * scale;
  canvas.getContext('2d')!.putImageData(new ImageData(frameRGBA(clip, f, scale), w * scale, h * scale), 0, 0);
}

/** The clip as an animated, looping GIF at `fps`. */
export function encodeGif(clip: Clip, scale: number, fps = 8): Uint8Array {
  const [t, h, w] = clip.shape;
  const gif = GIFEncoder();
  for (let f = 0; f < t; f++) {
    const rgba = frameRGBA(clip, f, scale);
    const palette = quantize(rgba, 256);
    gif.writeFrame(applyPalette(rgba, palette), w * scale, h * scale, {
      palette,
      delay: Math.round(1000 / fps),
      ...(f === 0 ? { repeat: 0 } : {}),
    });
  }
  gif.finish();
  return gif.bytes();
}
