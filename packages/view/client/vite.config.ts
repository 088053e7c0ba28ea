/** The dashboard page: built by `vtx view` on first use into packages/view/dist/client (see src/client-build.ts). */
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: { outDir: '../dist/client', emptyOutDir: true, target: 'es2022' },
  logLevel: 'warn',
});
