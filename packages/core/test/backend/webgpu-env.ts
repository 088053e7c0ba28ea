/**
 * The GPU the webgpu tests run on: the Vulkan driver `VK_ICD_FILENAMES` names, else Chromium's SwiftShader
 * (Debian's `chromium` installs it; scripts/setup.sh and CI install chromium) — a CPU-emulated GPU, for
 * correctness only. `webgpu` and tfjs-backend-webgpu resolve from @vtx/train, the app package that depends on
 * them. `webGpuTests` is decided once per test file; where no adapter starts, the reason is printed loudly and
 * the suites skip with it in their names. On a machine with a real GPU, point VK_ICD_FILENAMES at its driver
 * (e.g. /usr/share/vulkan/icd.d/nvidia_icd.json) to run the same tests there.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type GpuAdapterSummary } from '@vtx/core';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const fromTrain = createRequire(new URL('../../../train/package.json', import.meta.url));
/** Import an optional backend package the way the vtx CLI does: from the app package. */
export const importer = (s: string): Promise<unknown> => import(pathToFileURL(fromTrain.resolve(s)).href);

async function probe(): Promise<{ adapter: GpuAdapterSummary | null; reason: string }> {
  if (process.env['VK_ICD_FILENAMES'] === undefined && existsSync(SWIFTSHADER_ICD))
    process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
  process.env['XDG_RUNTIME_DIR'] ??= tmpdir();
  const before = tf.getBackend();
  try {
    const choice = await selectBackend({ override: 'webgpu', importer });
    return { adapter: choice.adapter ?? null, reason: '' };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const icd = process.env['VK_ICD_FILENAMES'] ?? `unset, and no ${SWIFTSHADER_ICD}`;
    return { adapter: null, reason: `webgpu unavailable (VK_ICD_FILENAMES=${icd}): ${why}` };
  } finally {
    await tf.setBackend(before);
  }
}

export const webGpuTests = await probe();
if (!webGpuTests.adapter)
  console.warn(
    `\n*** SKIPPING the webgpu tests: ${webGpuTests.reason}\n*** install chromium (scripts/setup.sh)\n`,
  );

/** "SwiftShader driver 5.0.0 (software, emulated)" or the hardware adapter's name, for suite titles. */
export function adapterLabel(): string {
  const a = webGpuTests.adapter;
  if (!a) return `SKIPPED: ${webGpuTests.reason}`;
  return `${a.description}${a.software ? ', software, emulated' : ''}`;
}
