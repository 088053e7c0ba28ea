/**
 * Pictures and clips the user uploads, decoded in the browser with no library: a still (PNG, JPEG, WebP, …) through
 * `createImageBitmap`, an animated GIF frame by frame through WebCodecs' `ImageDecoder` (each frame the file stores
 * once, as `vtx sample` reads a GIF), a set of files as one clip in name order ("f2.png" before "f10.png"). Every
 * frame is drawn scaled to cover the clip's H x W and centre-cropped, as `vtx sample` resizes (@vtx/data's
 * readInputClip: the centred box of the target's aspect; here the canvas resamples it, bilinear like the loader's
 * resampler: within 1/255 of it on a smooth picture, tested), and comes back as RGBA bytes. (@vtx/data's resampler
 * itself is pure, but that package's entry point is Node-only, so the page cannot import it.) A file the browser cannot decode, or frames of different sizes, is an error naming the file.
 */

/** Uploaded frames at the clip's size, and what the files held. */
export interface Upload {
  /** The file names, in the order their frames were taken. */
  files: string[];
  /** RGBA bytes (H x W x 4) per frame. */
  frames: Uint8ClampedArray[];
  /** The files' own frame size. */
  width: number;
  height: number;
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

type Source = ImageBitmap | VideoFrame;
const sizeOf = (s: Source) =>
  s instanceof ImageBitmap
    ? { width: s.width, height: s.height }
    : { width: s.displayWidth, height: s.displayHeight };

/** `source` scaled to cover w x h and centre-cropped: RGBA bytes. */
function coverPixels(source: Source, w: number, h: number): Uint8ClampedArray {
  const { width, height } = sizeOf(source);
  const box = coverBox(width, height, w, h);
  const ctx = new OffscreenCanvas(w, h).getContext('2d')!;
  ctx.drawImage(source, box.x, box.y, box.w, box.h, 0, 0, w, h);
  return ctx.getImageData(0, 0, w, h).data;
}

const isGif = (b: Uint8Array) => b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38; // "GIF8"

/** Each frame of one file at w x h, and the file's frame size. */
async function fileFrames(
  file: File,
  w: number,
  h: number,
): Promise<{ frames: Uint8ClampedArray[]; width: number; height: number }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (isGif(bytes) && typeof ImageDecoder !== 'undefined') {
    const decoder = new ImageDecoder({ data: bytes, type: 'image/gif' });
    try {
      await decoder.tracks.ready;
      const count = decoder.tracks.selectedTrack?.frameCount ?? 0;
      const frames: Uint8ClampedArray[] = [];
      let size = { width: 0, height: 0 };
      for (let i = 0; i < count; i++) {
        const { image } = await decoder.decode({ frameIndex: i });
        size = sizeOf(image);
        frames.push(coverPixels(image, w, h));
        image.close();
      }
      if (!frames.length) throw new Error('no frames decoded');
      return { frames, ...size };
    } finally {
      decoder.close();
    }
  }
  const bitmap = await createImageBitmap(new Blob([bytes]));
  try {
    return { frames: [coverPixels(bitmap, w, h)], ...sizeOf(bitmap) };
  } finally {
    bitmap.close();
  }
}

/**
 * Decode `files` as one clip at w x h: the frames of each file (a GIF's every frame, a still's one), files in name
 * order. Throws an Error naming the file for an unreadable one or one whose frames differ in size from the first's.
 */
export async function decodeUpload(files: readonly File[], w: number, h: number): Promise<Upload> {
  if (!files.length) throw new Error('no file chosen');
  const sorted = [...files].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  const out: Upload = { files: [], frames: [], width: 0, height: 0 };
  for (const file of sorted) {
    let got;
    try {
      got = await fileFrames(file, w, h);
    } catch (e) {
      throw new Error(
        `${file.name}: not a picture or GIF this browser can decode (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    if (out.files.length && (got.width !== out.width || got.height !== out.height))
      throw new Error(
        `${file.name} is ${got.width}x${got.height} but ${out.files[0]} is ${out.width}x${out.height}: ` +
          'the frames of one clip must have one size',
      );
    out.files.push(file.name);
    out.frames.push(...got.frames);
    out.width = got.width;
    out.height = got.height;
  }
  return out;
}

/** "a.gif" or "f1.png … f8.png (8 files)": the upload's name for messages. */
export function uploadName(u: Pick<Upload, 'files'>): string {
  const n = u.files.length;
  return n === 1 ? u.files[0]! : `${u.files[0]} … ${u.files[n - 1]} (${n} files)`;
}
