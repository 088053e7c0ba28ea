/**
 * Starting tfjs's `webgpu` backend: in a browser on its own `navigator.gpu`, in Node on Dawn through the npm
 * package `webgpu` (an optional dependency of the app), which provides `navigator.gpu` and the `GPU*` globals
 * tfjs-backend-webgpu expects. The adapter is requested here first (with the power preference the backend will
 * use), so a missing driver is a clear reason instead of tfjs's "Cannot read properties of null", and a software
 * adapter (Chromium's SwiftShader, llvmpipe, WARP: `isFallbackAdapter`, or a known software name) is taken only
 * when `webgpu` was asked for by name. In Node on Linux, a machine without a Vulkan driver (./vulkan-drivers.ts) is
 * passed over before Dawn is created, unless `webgpu` was asked for by name. Browser-safe: the Node packages are
 * reached through the importer only, Node's built-ins through `process.getBuiltinModule`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { icdSearchDirs, vulkanDrivers } from './vulkan-drivers.js';

/** The adapter a `webgpu` backend runs on, as Dawn or the browser describes it. */
export interface GpuAdapterSummary {
  /** "SwiftShader driver 5.0.0", "NVIDIA GeForce RTX 4090", … (or vendor/architecture where that is empty). */
  description: string;
  vendor: string;
  architecture: string;
  /** A CPU emulation of a GPU (SwiftShader and the like): correct, and slow. */
  software: boolean;
}

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<{ info?: AdapterInfoLike } | null>;
}
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|warp/i;

function navigatorGpu(): GpuLike | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  return nav?.gpu ?? undefined;
}

interface NodeProcessLike {
  platform?: string;
  env?: Record<string, string | undefined>;
  /** Node >= 20.16: a built-in module without an import statement (which would not be browser-safe). */
  getBuiltinModule?(id: string): unknown;
}

/**
 * In Node on Linux, throw when the Vulkan loader would find no driver (Dawn's only way to a GPU there), before Dawn
 * is created and prints the loader's warnings. Elsewhere (a browser, macOS, Windows, Node before 20.16) a no-op.
 */
function requireVulkanDriver(): void {
  const proc = (globalThis as { process?: NodeProcessLike }).process;
  if (proc?.platform !== 'linux' || !proc.getBuiltinModule) return;
  const fs = proc.getBuiltinModule('node:fs') as { readdirSync(dir: string): string[] };
  const os = proc.getBuiltinModule('node:os') as { homedir(): string };
  const env = proc.env ?? {};
  if (vulkanDrivers(env, os.homedir(), (d) => fs.readdirSync(d)).length) return;
  throw new Error(
    `no Vulkan driver (no ICD manifest in ${icdSearchDirs(env, os.homedir()).join(', ')}; ` +
      'VK_DRIVER_FILES / VK_ICD_FILENAMES unset); --backend webgpu tries Dawn anyway',
  );
}

/**
 * Give Node a `navigator.gpu` from Dawn (the npm package `webgpu`); a no-op where one exists. Unless `byName`, a
 * Linux machine without a Vulkan driver is refused first.
 */
async function ensureNavigatorGpu(
  dynImport: (specifier: string) => Promise<unknown>,
  byName: boolean,
): Promise<GpuLike> {
  const existing = navigatorGpu();
  if (existing) return existing;
  if (!byName) requireVulkanDriver();
  let dawn: DawnModule;
  try {
    dawn = (await dynImport('webgpu')) as DawnModule;
  } catch (e) {
    throw new Error(`the 'webgpu' package (Dawn) is not installed or failed to load: ${firstLine(e)}`);
  }
  // GPUBufferUsage, GPUMapMode, … : the backend reads them as globals. Never replace ones a host defines.
  for (const [k, v] of Object.entries(dawn.globals))
    if (!(k in globalThis))
      Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
  const gpu = dawn.create([]);
  const g = globalThis as { navigator?: object };
  // Node 21+ has a `navigator` without `gpu`; Node 20 has none.
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return gpu;
}

/** Describe an adapter; `software` from `isFallbackAdapter` or a known software rasteriser's name. */
export function summarizeAdapter(info: AdapterInfoLike): GpuAdapterSummary {
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const description =
    info.description || [vendor, architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  const names = [description, vendor, architecture, info.device ?? ''].join(' ');
  return {
    description,
    vendor,
    architecture,
    software: info.isFallbackAdapter === true || SOFTWARE.test(names),
  };
}

let current: GpuAdapterSummary | undefined;

/** The adapter the last successful `loadWebGpu` found (undefined before). */
export function webGpuAdapter(): GpuAdapterSummary | undefined {
  return current;
}

/**
 * Make backend `webgpu` registrable: a `navigator.gpu`, an adapter that is hardware (or software where `byName`:
 * `webgpu` was asked for by name), and tfjs-backend-webgpu imported (it registers the backend only when `navigator.gpu` exists
 * at import). Throws with the reason otherwise. The caller then calls `tf.setBackend('webgpu')`.
 */
export async function loadWebGpu(
  dynImport: (specifier: string) => Promise<unknown>,
  byName: boolean,
): Promise<GpuAdapterSummary> {
  const gpu = await ensureNavigatorGpu(dynImport, byName);
  // tfjs-backend-webgpu registers this flag on import; a value set before that is in getFlags()
  const lowPower = tf.env().getFlags()['WEBGPU_USE_LOW_POWER_GPU'] === true;
  const powerPreference = lowPower ? 'low-power' : 'high-performance';
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter)
    throw new Error(
      'no WebGPU adapter (no Vulkan, Metal or D3D12 driver found; see VK_ICD_FILENAMES on Linux)',
    );
  const summary = summarizeAdapter(adapter.info ?? {});
  if (summary.software && !byName)
    throw new Error(
      `only a software adapter (${summary.description}: emulated on the CPU, slow); use --backend webgpu to force it`,
    );
  await dynImport('@tensorflow/tfjs-backend-webgpu');
  current = summary;
  return summary;
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0] ?? '';
}
