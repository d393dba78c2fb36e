#!/usr/bin/env node
/**
 * `npm start` runs this first: it builds the web client only when client/build is missing or older
 * than anything it is built from (client sources and config, and shared/, which the client bundles).
 * An up-to-date build costs one directory walk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const client = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.resolve(client, '..');
const marker = path.join(client, 'build', '200.html');
const SOURCES = [
  path.join(client, 'src'),
  path.join(client, 'static'),
  path.join(client, 'svelte.config.js'),
  path.join(client, 'vite.config.ts'),
  path.join(root, 'shared'),
];
const SKIP = /(^|[\\/])(node_modules|\.svelte-kit)([\\/]|$)|\.test\.ts$/;
/** Files that end up in the bundle (notes such as shared/PROTOCOL.md do not). */
const BUILT_FROM = /\.(ts|js|mjs|svelte|css|html|json|svg|png|ico|woff2?)$/;

/** Newest modification time under a path (0 if it does not exist). */
function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return SKIP.test(p) || !BUILT_FROM.test(p) ? 0 : st.mtimeMs;
  let max = 0;
  for (const name of fs.readdirSync(p)) {
    const child = path.join(p, name);
    if (SKIP.test(child)) continue;
    max = Math.max(max, newest(child));
  }
  return max;
}

const built = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : 0;
const sources = Math.max(...SOURCES.map(newest));
if (built > 0 && built >= sources) process.exit(0);

console.log(built === 0 ? 'client: no build yet, building…' : 'client: sources changed since the last build, rebuilding…');
const r = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(r.status ?? 1);
