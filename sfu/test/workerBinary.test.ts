import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  REPO_ROOT,
  cachedWorkerPath,
  defaultCacheDir,
  findWorkerBinary,
  workerBinaryOptionsFromEnv,
  workerCacheKey,
} from '../workerBinary.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'agora-workerbin-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('worker binary discovery', () => {
  it('computes the same cache path as build-worker.sh', () => {
    const cacheDir = path.join(scratch, 'cache');
    const fromScript = execFileSync('bash', [path.join(REPO_ROOT, 'sfu/build/build-worker.sh'), '--print-path'], {
      env: { ...process.env, MEDIASOUP_CACHE_DIR: cacheDir },
      encoding: 'utf8',
    }).trim();
    expect(cachedWorkerPath(cacheDir)).toBe(fromScript);
    const key = workerCacheKey();
    expect(key.key).toMatch(/^mediasoup-worker-\d+\.\d+\.\d+-[0-9a-f]{8}$/);
    expect(fromScript).toContain(key.key);
  });

  it('derives the cache root like the script: MEDIASOUP_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultCacheDir({ MEDIASOUP_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' })).toBe('/c');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/agora-meet');
    expect(defaultCacheDir({})).toMatch(/\.cache\/agora-meet$/);
  });

  it('says why when an explicit binary is missing, instead of throwing', () => {
    const status = findWorkerBinary({ workerBin: path.join(scratch, 'nope') });
    expect(status.available).toBe(false);
    if (!status.available) expect(status.reason).toMatch(/MEDIASOUP_WORKER_BIN=.*nope does not exist/);
  });

  it('says when the mediasoup package is not installed at all', () => {
    const repo = path.join(scratch, 'repo');
    mkdirSync(repo, { recursive: true });
    writeFileSync(path.join(repo, 'package.json'), JSON.stringify({ optionalDependencies: { mediasoup: '3.8.4' } }));
    const status = findWorkerBinary({ repoRoot: repo });
    expect(status).toEqual({ available: false, reason: expect.stringMatching(/not installed.*npm run setup/) });
  });

  it('finds a binary in the cache when node_modules has no link', () => {
    const cacheDir = path.join(scratch, 'cache2');
    const bin = cachedWorkerPath(cacheDir);
    const before = findWorkerBinary({ cacheDir });
    mkdirSync(path.dirname(bin), { recursive: true });
    writeFileSync(bin, '#!/bin/sh\n');
    chmodSync(bin, 0o755);
    const status = findWorkerBinary({ cacheDir });
    expect(status.available).toBe(true);
    // After `npm run setup` the node_modules link wins; without it, the cache entry is used.
    if (status.available) expect(status.source).toBe(before.available ? 'node_modules' : 'cache');
  });

  it('finds the real worker this machine built (CI runs npm run setup first)', () => {
    const status = findWorkerBinary(workerBinaryOptionsFromEnv(process.env));
    if (!status.available) throw new Error(`no mediasoup worker: ${status.reason}`);
    expect(status.mediasoupVersion).toBe(workerCacheKey().version);
  });
});
