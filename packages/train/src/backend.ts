/**
 * Start the tfjs backend for a Node process — the one start-up path of the trainer and every command: the
 * config's `backend`, else `VTX_BACKEND`, else the fastest that starts (tensorflow > webgpu on a hardware adapter >
 * native > wasm > cpu). The optional backends (tfjs-node, webgpu + tfjs-backend-webgpu, @vtx/backend-native) are
 * imported from here, the app package, where pnpm makes them resolvable (a library package like @vtx/core cannot
 * see the app's optional dependencies).
 */
import { parseBackendName, selectBackend, type BackendChoice, type BackendLog } from '@vtx/core';

export function startBackend(override?: string, log?: BackendLog): Promise<BackendChoice> {
  const env = process.env['VTX_BACKEND'];
  const name = override ?? env;
  return selectBackend({
    ...(name ? { override: parseBackendName(name, override ? 'backend' : 'VTX_BACKEND') } : {}),
    importer: (specifier) => import(specifier),
    ...(log ? { log } : {}),
  });
}
