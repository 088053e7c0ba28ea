/**
 * ViViT §3.4 (Arnab et al. 2021): initialise a tubelet embedding from an image (2-D patch) embedding.
 * Kernels are (pt·ph·pw·C, D) in vtx's (pt, ph, pw, C) patch order; the image kernel is (ph·pw·C, D).
 *   - 'inflate' (filter inflation): replicate the image filter over time and divide by pt, so a static
 *     clip embeds exactly as the image would.
 *   - 'central': zeros everywhere except the central frame ⌊pt/2⌋, which gets the image filter (the
 *     paper's best, 79.2 vs 77.6 top-1 on K400).
 *   - 'random': keep the tubelet's own random init.
 * Uniform frame sampling is the pt = 1 case: the image kernel is used as is.
 */
export type TubeletInit = 'inflate' | 'central' | 'random';

export function inflatePatchKernel(
  image: Float32Array,
  pt: number,
  mode: TubeletInit,
  random?: Float32Array,
): Float32Array {
  const out = new Float32Array(image.length * pt);
  switch (mode) {
    case 'inflate':
      for (let f = 0; f < pt; f++)
        for (let i = 0; i < image.length; i++) out[f * image.length + i] = image[i]! / pt;
      return out;
    case 'central':
      out.set(image, Math.floor(pt / 2) * image.length);
      return out;
    case 'random':
      if (!random || random.length !== out.length)
        throw new Error('random tubelet init needs a kernel of the tubelet size');
      out.set(random);
      return out;
  }
}
