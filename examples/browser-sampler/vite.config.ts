/**
 * The browser sampler as a Vite app. @vtx/core and @vtx/models are compiled from their TypeScript sources (the
 * `@vtx/source` export condition), exactly the code the Node trainer runs. `vite` serves it for development,
 * `vite build` writes a static site to dist/; an export from `vtx export` goes in public/model/ (or pass
 * `?model=<url of an export directory>`).
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  resolve: { conditions: ['@vtx/source', 'browser', 'module', 'import', 'default'] },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  optimizeDeps: { exclude: ['@vtx/core', '@vtx/models'] },
});
