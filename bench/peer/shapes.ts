/**
 * Data in and samples out for bench/peer/default_recipe.py (the default run's recipe in PyTorch):
 *   export DIR          the default config's training clips as raw bytes: DIR/train.x.u8 (N, 4, 16, 16, 3) uint8
 *                       and DIR/train.y.u8 (N) motion classes, from the same generator the default run reads
 *   score STEM [...]    read STEM.f32 (N, 4, 16, 16, 3) float32 in [-1, 1] and STEM.y (the asked-for classes) with
 *                       the closed-form reader evaluation uses; one JSON line each: { oneSubject, directionAcc }
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { syntheticClip, SyntheticSpec } from '@vtx/data';
import { motionScore } from '@vtx/eval';

const CLIP = [4, 16, 16, 3] as const;
const [command, ...args] = process.argv.slice(2);

if (command === 'export' && args.length === 1) {
  const spec = SyntheticSpec.parse({ kind: 'synthetic', count: 512, frames: 4, height: 16, width: 16 });
  const size = CLIP.reduce<number>((a, b) => a * b, 1);
  const x = new Uint8Array(spec.count * size);
  const y = new Uint8Array(spec.count);
  for (let i = 0; i < spec.count; i++) {
    const clip = syntheticClip(spec, i);
    x.set(clip.data, i * size);
    y[i] = clip.label!;
  }
  mkdirSync(args[0]!, { recursive: true });
  writeFileSync(join(args[0]!, 'train.x.u8'), x);
  writeFileSync(join(args[0]!, 'train.y.u8'), y);
  console.log(JSON.stringify({ dir: args[0], clips: spec.count }));
} else if (command === 'score' && args.length > 0) {
  for (const stem of args) {
    const bytes = readFileSync(`${stem}.f32`);
    const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const classes = Array.from(readFileSync(`${stem}.y`));
    console.log(JSON.stringify({ samples: stem, ...motionScore(data, [classes.length, ...CLIP], classes) }));
  }
} else {
  console.error('usage: shapes.ts export DIR | shapes.ts score STEM [STEM ...]');
  process.exit(2);
}
