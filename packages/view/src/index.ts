/**
 * @vtx/view — the local dashboard: `startViewServer` serves a run, sweep or directory of runs (the
 * `vtx view` command of @vtx/cli calls it); the scanners and details readers behind its API. Node-only; the page itself is client/ (Vite + uPlot).
 */
export * from './api-types.js';
export * from './scan.js';
export * from './details.js';
export * from './client-build.js';
export * from './server.js';
