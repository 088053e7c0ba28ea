/**
 * Image-to-video in the page: an uploaded picture becomes the first frame of the clip for a model trained with frame
 * conditioning (`model.frameConditioning`), as `vtx sample --image` does in Node. The browser decodes the file
 * (`createImageBitmap`: PNG, JPEG, GIF's first frame, WebP) and a canvas scales it to cover the clip's H x W and
 * crops the centre; the pixels go to [-1, 1] (the export's range), luma (BT.601) for a 1-channel model, and fill
 * the first tubelet (a still is a tubelet of equal frames). `sampleClips` keeps them exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { frameConditioningOf, frameMask, type ClipShape, type ModelConfig } from '@vtx/models';

/** The frames per tubelet a model gives or withholds as one, or null when it takes no given frames. */
export function givenFrameUnit(model: ModelConfig): number | null {
  return frameConditioningOf(model)?.unit ?? null;
}

/** The centred box of a sw x sh source with the aspect of dw x dh (what scaling to cover and cropping keeps). */
export function coverBox(
  sw: number,
  sh: number,
  dw: number,
  dh: number,
): { x: number; y: number; w: number; h: number } {
  const [w, h] = sw * dh > sh * dw ? [(sh * dw) / dh, sh] : [sw, (sw * dh) / dw];
  return { x: (sw - w) / 2, y: (sh - h) / 2, w, h };
}

/** Decode a picture file and draw it scaled to cover and centre-cropped at w x h: RGBA bytes, and its own size. */
export async function pictureAt(
  file: Blob,
  w: number,
  h: number,
): Promise<{ rgba: Uint8ClampedArray; width: number; height: number }> {
  const bitmap = await createImageBitmap(file);
  const box = coverBox(bitmap.width, bitmap.height, w, h);
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, box.x, box.y, box.w, box.h, 0, 0, w, h);
  const rgba = ctx.getImageData(0, 0, w, h).data;
  const size = { width: bitmap.width, height: bitmap.height };
  bitmap.close();
  return { rgba, ...size };
}

/**
 * `sampleClips`' `given` for image-to-video: the RGBA picture (H x W of the clip) as the first `unit` frames of a
 * (1, T, H, W, C) clip in [-1, 1], the rest zeros (generated), and the mask that gives the first tubelet.
 */
export function firstFrameGiven(
  rgba: Uint8ClampedArray,
  clip: ClipShape,
  unit: number,
): { clip: tf.Tensor; frames: boolean[] } {
  const [t, h, w, c] = clip;
  if (c !== 1 && c !== 3)
    throw new Error(`a picture gives RGB or luma; this model's clips have ${c} channels`);
  if (rgba.length !== h * w * 4)
    throw new Error(`the picture has ${rgba.length / 4} pixels; the clip's frames have ${h} x ${w}`);
  const unitRange = (v: number) => (v / 255) * 2 - 1;
  const frame = new Float32Array(h * w * c);
  for (let i = 0; i < h * w; i++) {
    const [r, g, b] = [rgba[4 * i]!, rgba[4 * i + 1]!, rgba[4 * i + 2]!];
    if (c === 1) frame[i] = unitRange(0.299 * r + 0.587 * g + 0.114 * b);
    else frame.set([unitRange(r), unitRange(g), unitRange(b)], i * 3);
  }
  const data = new Float32Array(t * h * w * c);
  for (let f = 0; f < unit; f++) data.set(frame, f * frame.length);
  return { clip: tf.tensor(data, [1, t, h, w, c]), frames: frameMask('first', t, unit) };
}
