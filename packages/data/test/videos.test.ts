// The ffmpeg video builder on short videos this test encodes itself with ffmpeg's lavfi sources.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { buildFromVideos, DataError, openDataset, readRows } from '../src/index.js';
import { collect, dataCli, tmpDir } from './helpers.js';
import { hasFfmpeg, needFfmpeg } from './helpers/ffmpeg.js';

function encode(out: string, source: string, seconds: number, extra: string[] = []): void {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const r = spawnSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    source,
    '-t',
    String(seconds),
    ...extra,
    out,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg could not encode ${out}: ${r.stderr.toString()}`);
}

let root: string;

beforeAll(() => {
  if (!hasFfmpeg) return;
  root = tmpDir('vtx-videos');
  // class folders: red/ and blue/, 2 s at 12 fps = 24 frames each
  encode(path.join(root, 'clips/red/a.mp4'), 'color=c=red:size=96x64:rate=12', 2, ['-pix_fmt', 'yuv420p']);
  encode(path.join(root, 'clips/blue/b.avi'), 'color=c=blue:size=96x64:rate=12', 2);
  encode(path.join(root, 'clips/blue/c.mp4'), 'testsrc2=size=96x64:rate=12', 2, ['-pix_fmt', 'yuv420p']);
  fs.writeFileSync(path.join(root, 'clips/red/broken.mp4'), Buffer.from('this is not a video'));
  fs.writeFileSync(
    path.join(root, 'manifest.csv'),
    [
      'path,label,caption',
      'clips/red/a.mp4,warm,"a red screen, nothing moves"',
      'clips/blue/b.avi,cold,',
      'clips/missing.mp4,cold,gone',
    ].join('\n'),
  );
});

describe('video builder (ffmpeg)', () => {
  it('decodes a class-folder tree into labelled, resized clips; skips the unreadable file by name', async (ctx) => {
    needFfmpeg(ctx);
    const out = path.join(root, 'ds');
    const ix = await buildFromVideos(out, {
      kind: 'videos',
      input: path.join(root, 'clips'),
      height: 16,
      width: 24,
      frames: 8,
    });
    expect(ix.labels!.names).toEqual(['blue', 'red']);
    expect(ix.skipped.map((s) => path.basename(s.source))).toEqual(['broken.mp4']);
    const rows = await collect(readRows(await openDataset(out)));
    // 3 readable videos x 24 frames / 8 = 9 clips, in input order
    expect(rows.map((r) => r.id)).toEqual([
      'clips/blue/b.avi#0',
      'clips/blue/b.avi#1',
      'clips/blue/b.avi#2',
      'clips/blue/c.mp4#0',
      'clips/blue/c.mp4#1',
      'clips/blue/c.mp4#2',
      'clips/red/a.mp4#0',
      'clips/red/a.mp4#1',
      'clips/red/a.mp4#2',
    ]);
    for (const r of rows) expect(r.shape).toEqual([8, 16, 24, 3]);
    const red = rows.find((r) => r.id === 'clips/red/a.mp4#1')!;
    expect(ix.labels!.names[red.label!]).toBe('red');
    expect(red.meta).toMatchObject({ originalSize: [64, 96], originalFps: 12, start: 8 / 12 });
    // A solid red video decodes to (about) pure red everywhere (yuv420 rounding: a few levels).
    const mean = [0, 1, 2].map(
      (c) => red.data.filter((_, i) => i % 3 === c).reduce((a, v) => a + v, 0) / (red.data.length / 3),
    );
    expect(mean[0]).toBeGreaterThan(240);
    expect(mean[1]).toBeLessThan(15);
    expect(mean[2]).toBeLessThan(15);
    const blue = rows[0]!;
    expect(blue.data[2]).toBeGreaterThan(240);
    expect(blue.data[0]).toBeLessThan(15);
  });

  it('resamples fps, applies stride and clip limits', async (ctx) => {
    needFfmpeg(ctx);
    const out = path.join(root, 'ds-fps');
    const ix = await buildFromVideos(out, {
      kind: 'videos',
      input: path.join(root, 'clips/blue'),
      height: 8,
      width: 8,
      fps: 6,
      stride: 2,
      frames: 3,
      clipStride: 1,
      maxClipsPerVideo: 2,
    });
    // 2 s at 6 fps = 12 frames, stride 2 -> 6 frames; clips of 3 every frame, at most 2 per video.
    expect(ix.rows).toBe(4);
    const rows = await collect(readRows(await openDataset(out)));
    expect(rows.map((r) => r.fps)).toEqual([3, 3, 3, 3]);
    expect(rows.map((r) => (r.meta as { start: number }).start)).toEqual([0, 2 / 6, 0, 2 / 6]);
  });

  it('reads a CSV manifest with captions; onError "fail" names the missing file and keeps the old dataset', async (ctx) => {
    needFfmpeg(ctx);
    const out = path.join(root, 'ds-manifest');
    const manifest = path.join(root, 'manifest.csv');
    const ix = await buildFromVideos(out, {
      kind: 'videos',
      input: manifest,
      height: 8,
      width: 8,
      frames: 12,
    });
    expect(ix.labels!.names).toEqual(['cold', 'warm']);
    expect(ix.skipped.map((s) => s.source)).toEqual([path.join(root, 'clips/missing.mp4')]);
    const rows = await collect(readRows(await openDataset(out)));
    expect(rows.map((r) => [r.caption, ix.labels!.names[r.label!]])).toEqual([
      ['a red screen, nothing moves', 'warm'],
      ['a red screen, nothing moves', 'warm'],
      [null, 'cold'],
      [null, 'cold'],
    ]);
    const err = await buildFromVideos(out, {
      kind: 'videos',
      input: manifest,
      height: 8,
      width: 8,
      frames: 12,
      onError: 'fail',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain(`${path.join(root, 'clips/missing.mp4')}: cannot decode`);
    expect((await openDataset(out)).index.rows).toBe(4); // previous dataset intact
    expect(fs.readdirSync(root).filter((f) => f.includes('building'))).toEqual([]);
  });

  it('a missing ffmpeg binary is a clear error', async () => {
    await expect(
      buildFromVideos(path.join(tmpDir(), 'x'), {
        kind: 'videos',
        input: '.',
        ffmpeg: '/nonexistent/ffmpeg',
      }),
    ).rejects.toThrow('/nonexistent/ffmpeg: not found. Install ffmpeg');
  });
});

describe('vtx data build videos', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('passes every option it is given to the spec, by its spec name', async (ctx) => {
    needFfmpeg(ctx);
    const out = path.join(tmpDir(), 'cli');
    const input = path.join(root, 'clips');
    const r = await dataCli(
      ...['data', 'build', 'videos', input, out, '--name', 'vids', '--height', '8', '--width', '8'],
      ...['--resize', 'stretch', '--fps', '6', '--stride', '2', '--frames', '4', '--clip-stride', '3'],
      ...['--max-clips', '2', '--on-error', 'skip', '--concurrency', '1', '--ffmpeg', 'ffmpeg'],
    );
    expect(r.out).toContain(`built ${out}: 3 clips`); // 12 frames at 6 fps, every 2nd: one 4-frame clip a video
    expect(process.exitCode).toBeUndefined();
    const { index } = await openDataset(out);
    expect(index.builder).toMatchObject({
      kind: 'videos',
      input,
      name: 'vids',
      height: 8,
      width: 8,
      resize: 'stretch',
      fps: 6,
      stride: 2,
      frames: 4,
      clipStride: 3,
      maxClipsPerVideo: 2,
      onError: 'skip',
      concurrency: 1,
    });
    expect(index.skipped.map((s) => path.basename(s.source))).toEqual(['broken.mp4']);
  });
});
