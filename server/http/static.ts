/** Serves the client's static build (SvelteKit adapter-static) with an SPA fallback. */
import fs from 'node:fs';
import path from 'node:path';
import type { HttpResponse } from '../transport/uws.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Meeting hub</title>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>The hub is running</h1><p>The web client has not been built yet. Run <code>npm run build</code> and reload.</p>`;

/** Answers a GET for a file under `root`, falling back to the SPA shell for client routes. */
export function serveStatic(root: string, urlPath: string): HttpResponse {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return { status: 400, body: 'bad path' };
  }
  const file = path.resolve(root, '.' + path.posix.normalize('/' + rel));
  if (!file.startsWith(root)) return { status: 404, body: 'not found' };
  const candidates = [file, path.join(file, 'index.html'), file + '.html'];
  for (const c of candidates) {
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return fileResponse(c);
  }
  const fallback = ['200.html', 'index.html'].map((f) => path.join(root, f)).find((f) => fs.existsSync(f));
  if (fallback) return fileResponse(fallback);
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: NOT_BUILT };
}

function fileResponse(file: string): HttpResponse {
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  const immutable = file.includes(`${path.sep}_app${path.sep}immutable${path.sep}`);
  return {
    status: 200,
    headers: { 'content-type': type, 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' },
    body: fs.readFileSync(file),
  };
}
