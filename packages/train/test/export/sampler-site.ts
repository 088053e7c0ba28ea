/**
 * examples/browser-sampler as the browser tests use it: built by vite into `<dir>/site`, with a run's export under
 * `model/`, served by vite's preview server on a free local port.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, preview } from 'vite';
import { exportRun } from '../../src/export/index.js';

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
