/**
 * The web app's build: Preact components compiled by Vite into dist/web, which the server serves
 * at `/` (src/api/web-app.ts). JSX is plain automatic-runtime JSX pointed at Preact, so no plugin
 * is needed.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/stream': 'http://127.0.0.1:8080', '/health': 'http://127.0.0.1:8080' },
  },
});
