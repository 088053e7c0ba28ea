/**
 * @vtx/view — the local dashboard: `vtx view <run|sweep|dir>` (viewCommand, a yargs command module the vtx CLI
 * mounts) and its programmatic form `startViewServer`. Node-only; the page itself is client/ (Vite + uPlot).
 */
export * from './api-types.js';
export * from './fit.js';
export * from './scan.js';
export * from './details.js';
export * from './client-build.js';
export * from './server.js';
export * from './command.js';
