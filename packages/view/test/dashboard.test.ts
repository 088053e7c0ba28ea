/**
 * The dashboard in headless Chromium: a running run's curves render and follow new metrics lines live (SSE), its
 * sample GIF loads; a sweep shows its table, the ablation verdict, and the scaling plot on log axes with the
 * fitted power law — checked through the DOM and through the pixels of the rendered chart and page screenshots.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startViewServer, type ViewServer } from '@vtx/view';
import { findChromium, launchChromium } from './chromium.js';
import { SWEEP, appendMetrics, liveRun, scalingSweep, trainRecord } from './fixtures.js';

const chrome = findChromium();
const root = mkdtempSync(join(tmpdir(), 'vtx-view-e2e-'));
/** Screenshots are kept here when VTX_VIEW_SHOTS names a directory (to look at them). */
const shots = process.env['VTX_VIEW_SHOTS'] ?? join(root, 'shots');
let view: ViewServer;
let browser: Browser;

/** Count canvas pixels near an sRGB colour inside `selector`'s first canvas (uPlot draws series there). */
const colourPixels = (page: Page, selector: string, rgb: [number, number, number]) =>
  page.evaluate(
    ([sel, [r, g, b]]) => {
      const c = document.querySelector<HTMLCanvasElement>(`${sel} canvas`)!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4)
        if (
          Math.abs(d[i]! - r) < 40 &&
          Math.abs(d[i + 1]! - g) < 40 &&
          Math.abs(d[i + 2]! - b) < 40 &&
          d[i + 3]! > 200
        )
          n++;
      return n;
    },
    [selector, rgb] as const,
  );

describe.skipIf(!chrome.path)(`dashboard in chromium (${chrome.reason || chrome.path})`, () => {
  beforeAll(async () => {
    liveRun(join(root, 'live'));
    mkdirSync(join(root, 'scaling'));
    scalingSweep(join(root, 'scaling'));
    mkdirSync(shots, { recursive: true });
    view = await startViewServer({ root, pollMs: 100 });
    browser = await launchChromium(chrome.path!);
  });
  afterAll(async () => {
    await browser?.close();
    await view?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("renders a running run's curves and follows them live", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${view.url}#run=live`);
    await page.waitForSelector('[data-chart="loss"][data-points="11"]');
    expect(await page.locator('.chart h4').allTextContents()).toEqual(
      expect.arrayContaining(['loss', 'learning rate', 'throughput']),
    );
    const legend = await page.locator('[data-chart="loss"] .u-legend').innerText();
    expect(legend).toContain('val/loss');
    // uPlot draws on the next frame
    await expect.poll(() => colourPixels(page, '[data-chart="loss"]', [31, 119, 180])).toBeGreaterThan(50);
    expect(await page.locator('#run-step').innerText()).toBe('step 10');
    expect(await page.locator('nav a[href="#run=live"] .badge').innerText()).toBe('running');
    const img = page.locator('.samples img');
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(1);

    // the run trains on: five more records, then its summary
    appendMetrics(join(root, 'live'), [11, 12, 13, 14, 15].map(trainRecord));
    await page.waitForSelector('[data-chart="loss"][data-last-step="15"]', { timeout: 120_000 });
    expect(await page.locator('[data-chart="lr"]').getAttribute('data-points')).toBe('15');
    expect(await page.locator('#run-step').innerText()).toBe('step 15');
    writeFileSync(
      join(root, 'live', 'summary.json'),
      JSON.stringify({ name: 'live', status: 'completed', step: 15 }),
    );
    await page.waitForSelector('h2 .badge.completed', { timeout: 120_000 });
    await page.screenshot({ path: join(shots, 'run.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("renders a sweep's table, verdict and log-log scaling plot with the fitted line", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${view.url}#sweep=scaling`);
    const plot = page.locator('[data-chart="scaling"]');
    await page.waitForSelector('[data-chart="scaling"][data-points="4"]');
    expect(Number(await plot.getAttribute('data-fit-exponent'))).toBeCloseTo(SWEEP.exponent, 10);
    expect(await page.locator('#sweep-table tbody tr').count()).toBe(4);
    expect(await page.locator('#verdict strong').innerText()).toMatch(/verdict: reproduced/i);
    expect(await page.locator('#fit').innerText()).toContain('x^-0.300');
    // log axes: each decade of compute (x) and of loss (y) spans the same distance on screen
    const gaps = await plot.evaluate((el) => {
      const u = (el as HTMLElement & { uplot: { valToPos(v: number, scale: string): number } }).uplot;
      const step = (scale: string, a: number, b: number, c: number) => [
        u.valToPos(b, scale) - u.valToPos(a, scale),
        u.valToPos(c, scale) - u.valToPos(b, scale),
      ];
      return { x: step('x', 10, 100, 1000), y: step('y', 0.2, 0.4, 0.8) };
    });
    expect(gaps.x[0]).toBeGreaterThan(20);
    expect(gaps.x[1]).toBeCloseTo(gaps.x[0]!, 6);
    expect(gaps.y[1]).toBeCloseTo(gaps.y[0]!, 6);
    await expect.poll(() => colourPixels(page, '[data-chart="scaling"]', [31, 119, 180])).toBeGreaterThan(50); // points
    await expect.poll(() => colourPixels(page, '[data-chart="scaling"]', [214, 39, 40])).toBeGreaterThan(50); // fit
    await page.screenshot({ path: join(shots, 'sweep.png'), fullPage: true });

    await page.selectOption('#scaling-x', 'gflops');
    await expect.poll(() => page.locator('[data-chart="scaling"] h4').innerText()).toContain('Gflops');
    expect(Number(await plot.getAttribute('data-fit-exponent'))).toBeCloseTo(SWEEP.exponent, 10);
    expect(errors).toEqual([]);
    await page.close();
  });
});
