/**
 * Vite configuration of the web client. `$shared` (the wire protocol, document layout, client
 * library and voting rules) is imported from ../shared; in `vite dev` the API and WebSocket are
 * proxied to a running hub (HUB_URL, default http://localhost:8080).
 */
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

const hub = process.env.HUB_URL ?? 'http://localhost:8080';

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    fs: { allow: ['..'] },
    proxy: {
      '/api': hub,
      '/ws': { target: hub.replace(/^http/, 'ws'), ws: true },
    },
  },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 1600,
    rollupOptions: {
      onwarn(warning, warn) {
        // Dependencies' misplaced /*#__PURE__*/ comments are harmless and not ours to fix.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules')) return;
        warn(warning);
      },
    },
  },
  worker: { format: 'es' },
});
