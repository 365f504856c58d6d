import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webDir = dirname(fileURLToPath(import.meta.url));
const repoDir = resolve(webDir, '..');

/**
 * The console's build: web/ → web/dist, served by the API process at /. The console
 * imports the permission matrix and the error catalogue from src/, so the dev server may
 * read the whole repository. `vite web` proxies the API to a local `npm start`.
 */
export default defineConfig({
  root: webDir,
  plugins: [react()],
  build: {
    outDir: resolve(webDir, 'dist'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    fs: { allow: [repoDir] },
    proxy: { '/v1': 'http://127.0.0.1:3000' },
  },
});
