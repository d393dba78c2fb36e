/**
 * SvelteKit configuration of the web client: a static single-page app (adapter-static with a
 * `200.html` fallback) built into client/build, which the hub serves beside its API and WebSocket.
 */
import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: '200.html', precompress: false, strict: false }),
    // The fallback page is served for every client route (/m/..., /join): asset paths must be absolute.
    paths: { relative: false },
    alias: { $shared: '../shared' },
    version: { pollInterval: 0 },
  },
};

export default config;
