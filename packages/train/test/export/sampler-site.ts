/**
 * examples/browser-sampler as the browser tests use it: built by vite into `<dir>/site`, with a run's export under
 * `model/`, served by vite's preview server on a free local port; and the page's state as the tests wait on it.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { selectBackend } from '@vtx/core';
import type { Browser, Page } from 'playwright-core';
import { build, preview } from 'vite';
import { expect } from 'vitest';
import { exportRun } from '../../src/export/index.js';
import { launchChromium } from '../../../view/test/chromium.js';
import { tinyRun, tinyVideoDiT } from '../helpers/tiny.js';

const root = resolve(import.meta.dirname, '../../../../examples/browser-sampler');

export interface SamplerSite {
  url: string;
  close(): Promise<void>;
}

export async function serveSampler(run: string, dir: string): Promise<SamplerSite> {
  const site = join(dir, 'site');
  const configFile = join(root, 'vite.config.ts');
  await build({ root, configFile, logLevel: 'warn', build: { outDir: site, emptyOutDir: true } });
  mkdirSync(join(site, 'model'));
  await exportRun(run, join(site, 'model'));
  const server = await preview({
    root,
    configFile,
    logLevel: 'warn',
    build: { outDir: site },
    preview: { host: '127.0.0.1', port: 0 },
  });
  return {
    url: server.resolvedUrls!.local[0]!,
    close: () => new Promise<void>((r) => server.httpServer.close(() => r())),
  };
}

/** A served export of a tiny frame-conditioned run and the Chromium that opens it (the prompting tests' fixture). */
export interface FrameSampler {
  run: string;
  url: string;
  browser: Browser;
  /** Closes the browser and the server, removes `dir`, and returns tfjs to `cpu`. */
  close(): Promise<void>;
}

/**
 * Train a tiny class-conditional video DiT of `T` x `H` x `W` clips with frame conditioning on wasm (factorised
 * attention; 32 bouncing-shapes clips) under `dir`, serve the sampler with its export, and launch Chromium.
 */
export async function frameConditionedSampler(
  dir: string,
  [T, H, W]: readonly [number, number, number],
  chromePath: string,
): Promise<FrameSampler> {
  await selectBackend({ override: 'wasm' });
  const run = await tinyRun(dir, {
    data: {
      dataset: { kind: 'synthetic', count: 32, frames: T, height: H, width: W },
      cacheDir: join(dir, 'cache'),
      batchSize: 4,
      worker: false,
    },
    model: { ...tinyVideoDiT, attention: 'factorised', condition: 'class', frameConditioning: {} },
  });
  const site = await serveSampler(run, dir);
  const browser = await launchChromium(chromePath);
  return {
    run,
    url: site.url,
    browser,
    close: async () => {
      await browser.close();
      await site.close();
      rmSync(dir, { recursive: true, force: true });
      await selectBackend({ override: 'cpu' });
    },
  };
}

/** What the page exposes as `window.vtxSampler` (examples/browser-sampler/src/main.ts), as the tests read it. */
export interface SamplerState {
  ready: boolean;
  backend: string;
  error: string | null;
  stepsSeen: number;
  modes: string[];
  uploads: Record<string, { files: string[]; frames: number; width: number; height: number } | undefined>;
  last: { shape: number[]; data: number[] } | null;
}

/**
 * Open the sampler at `url` with the export under model/ on `backend`, and wait until it is ready; the page's
 * uncaught errors are collected into the returned list. Fails the test when the page shows an error instead.
 */
export async function openSampler(page: Page, url: string, backend: string): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}?model=model/&backend=${backend}`);
  expect(await untilSampler(page, 'ready')).toBeNull();
  return errors;
}

/**
 * Wait until `window.vtxSampler` has `path` (e.g. 'last', 'uploads.extend') set, or shows an error; the error, or
 * null.
 */
export async function untilSampler(page: Page, path: string, timeout = 600_000): Promise<string | null> {
  await page.waitForFunction(
    (keys) => {
      const s = (window as unknown as { vtxSampler?: Record<string, unknown> }).vtxSampler;
      if (!s) return false;
      let v: unknown = s;
      for (const k of keys) v = (v as Record<string, unknown> | undefined)?.[k];
      return Boolean(v) || s['error'] !== null;
    },
    path.split('.'),
    { timeout },
  );
  return samplerState(page).then((s) => s.error);
}

/** The page's `window.vtxSampler`. */
export function samplerState(page: Page): Promise<SamplerState> {
  return page.evaluate(() => (window as unknown as { vtxSampler: SamplerState }).vtxSampler);
}
