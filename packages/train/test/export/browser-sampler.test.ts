/**
 * examples/browser-sampler end to end in headless Chromium: the page loads a `vtx export` of a tiny trained video
 * DiT and, on the wasm backend and on webgpu (SwiftShader), produces the same clip as the Node sampler
 * (`sampleClips`, what `vtx sample` runs) for the same seed, class, steps and guidance; then saves it as a GIF.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '@vtx/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRun } from '../../src/load-run.js';
import { sampleClips } from '@vtx/models';
import { findChromium, launchChromium } from '../../../view/test/chromium.js';
import { tinyRun } from '../helpers/tiny.js';
import { openSampler, samplerState, serveSampler, untilSampler, type SamplerSite } from './sampler-site.js';

const chrome = findChromium();
const dir = mkdtempSync(join(tmpdir(), 'vtx-browser-sampler-'));
let browser: Browser | undefined;
let site: SamplerSite | undefined;
let url = '';
let run = '';

describe.skipIf(!chrome.path)(`browser sampler (${chrome.reason || chrome.path})`, () => {
  beforeAll(async () => {
    await selectBackend({ override: 'wasm' });
    run = await tinyRun(dir);
    site = await serveSampler(run, dir);
    url = site.url;
    browser = await launchChromium(chrome.path!);
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    rmSync(dir, { recursive: true, force: true });
    await selectBackend({ override: 'cpu' });
  });

  it("matches the Node sampler's clip for the same seed on wasm, and saves a GIF", async () => {
    const page = await browser!.newPage();
    await sampleOnPage(page, 'wasm');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    expect(download.suggestedFilename()).toBe('tiny-video-dit-class2-seed7.gif');
    const gif = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const c of gif) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    await page.close();
  });

  it('matches it on webgpu too (SwiftShader in headless Chromium, named: a software adapter is no default)', async () => {
    const gpuBrowser = await launchChromium(chrome.path!, { webgpu: true });
    try {
      await sampleOnPage(await gpuBrowser.newPage(), 'webgpu');
      // unnamed, the page takes webgpu only on a hardware adapter: here it stays on wasm
      const page = await gpuBrowser.newPage();
      await page.goto(`${url}?model=model/`);
      expect(await untilSampler(page, 'ready')).toBeNull();
      expect((await samplerState(page)).backend).toBe('wasm');
      expect(await page.evaluate(() => typeof (navigator as { gpu?: unknown }).gpu)).toBe('object');
    } finally {
      await gpuBrowser.close();
    }
  });
});

/** Open the page on `backend`, sample class 2 with ddim4, guidance 2.5, seed 7; expect the Node sampler's clip. */
async function sampleOnPage(page: Page, backend: string): Promise<void> {
  const errors = await openSampler(page, url, backend);
  expect((await samplerState(page)).backend).toBe(backend);
  // no frame conditioning: no image-to-video, extend or connect; editing needs none
  expect(
    await page.locator('#mode option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)),
  ).toEqual(['noise', 'edit']);
  expect(await page.locator('#image-field').isHidden()).toBe(true);
  expect(await page.locator('#class option').allTextContents()).toEqual([
    '0: left-to-right',
    '1: right-to-left',
    '2: top-to-bottom',
    '3: bottom-to-top',
  ]);

  await page.selectOption('#class', '2');
  await page.fill('#steps', 'ddim4');
  await page.fill('#guidance', '2.5');
  await page.fill('#seed', '7');
  await page.click('#sample');
  expect(await untilSampler(page, 'last')).toBeNull();
  const state = await samplerState(page);
  const got = { last: state.last!, steps: state.stepsSeen };
  expect(errors).toEqual([]);
  expect(got.steps).toBe(4); // the page watched every denoising step
  expect(got.last.shape).toEqual([4, 16, 16, 3]);

  const want = await nodeReference();
  expect(got.last.data.length).toBe(want.length);
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got.last.data[i]! - want[i]!));
  expect(maxDiff).toBeLessThan(1e-3);
  const spread = Math.max(...want) - Math.min(...want);
  expect(spread).toBeGreaterThan(0.1); // not a constant clip that would match anything
}

let reference: number[] | undefined;
/** The Node trainer's sampler on the same EMA weights, class, steps, guidance and seed (what `vtx sample` runs). */
async function nodeReference(): Promise<number[]> {
  if (reference) return reference;
  const ref = await loadRun(run);
  const x = await sampleClips(ref.model, ref.process!, ref.condition!, {
    count: 1,
    clip: ref.clip,
    classes: [2],
    steps: 'ddim4',
    cfgScale: 2.5,
    seed: 7,
  });
  reference = Array.from(await x.data());
  x.dispose();
  ref.model.dispose();
  return reference;
}
