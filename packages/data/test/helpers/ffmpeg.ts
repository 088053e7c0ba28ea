/** Tests that decode or encode video need the ffmpeg CLI: they fail loudly without it, or skip when asked to. */
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'vitest';

export const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;

/** Skip (VTX_SKIP_FFMPEG=1) or fail loudly when ffmpeg is absent. */
export function needFfmpeg(ctx: TestContext): void {
  if (hasFfmpeg) return;
  if (process.env['VTX_SKIP_FFMPEG'] === '1') ctx.skip('ffmpeg is not installed and VTX_SKIP_FFMPEG=1');
  throw new Error(
    'ffmpeg is not installed: run scripts/install-ffmpeg.sh (or set VTX_SKIP_FFMPEG=1 to skip these tests)',
  );
}
