/**
 * Headless Chromium for the browser end-to-end tests: Debian's `chromium` (scripts/install-browser.sh) driven by
 * playwright-core through its executablePath — no Playwright browser download. `VTX_CHROMIUM` overrides the path.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** The chromium binary, or null with the reason the tests are skipped. */
export function findChromium(): { path: string | null; reason: string } {
  const env = process.env['VTX_CHROMIUM'];
  if (env)
    return existsSync(env)
      ? { path: env, reason: '' }
      : { path: null, reason: `VTX_CHROMIUM=${env} does not exist` };
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const path = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (path) return { path, reason: '' };
    } catch {
      // not on PATH
    }
  }
  return { path: null, reason: 'chromium is not installed (run scripts/install-browser.sh)' };
}

/**
 * Launch headless chromium (no sandbox: CI containers run as root). `webgpu`: with WebGPU on Chromium's own
 * SwiftShader Vulkan (a software adapter, `isFallbackAdapter`), instead of no GPU at all.
 */
export function launchChromium(executablePath: string, opts: { webgpu?: boolean } = {}): Promise<Browser> {
  const gpu = opts.webgpu
    ? [
        '--enable-unsafe-webgpu',
        '--enable-features=Vulkan',
        '--use-vulkan=swiftshader',
        '--use-webgpu-adapter=swiftshader',
      ]
    : ['--disable-gpu'];
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', ...gpu],
  });
}
