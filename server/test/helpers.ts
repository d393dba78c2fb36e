/** Test helpers: a real hub on port 0 with a temp data dir, real WebSocket clients, and polling. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { loadConfig, type Config } from '../config.ts';
import { startHub, type HubServer } from '../app.ts';
import { HubClient, type HubClientOptions, type WebSocketCtor } from '../../shared/client/HubClient.ts';
import type { Role } from '../../shared/protocol/index.ts';

/** The demo meeting's id (data/demo/meeting.json). */
export const DEMO = 'demo-creditors';

/** A fresh temp directory, removed by the caller's cleanup. */
export function tempDir(prefix = 'hub-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Test config: loopback, port 0, silent logs, demo fixture loaded, no media. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ DATA_DIR: tempDir(), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DEMO: 'on', MEDIA: 'off', UNLOAD_IDLE_MS: '200', ...overrides });
}

/** Starts a hub for a test. */
export async function startTestHub(overrides: Record<string, string> = {}): Promise<HubServer> {
  return startHub(testConfig(overrides));
}

/** A session token for a participant of the demo meeting, as the login flow would issue it. */
export async function tokenFor(server: HubServer, userId: string, meetingId = DEMO, ttlSeconds?: number): Promise<string> {
  const p = await server.hub.storage.getParticipant(meetingId, userId);
  const u = await server.hub.storage.getUser(userId);
  if (!p || !u) throw new Error(`no participant ${userId} in ${meetingId}`);
  return (await server.hub.tokens.issue({ userId, meetingId, role: p.role as Role, name: u.name, rows: p.rows }, ttlSeconds)).token;
}

/** The hub's WebSocket URL. */
export function wsUrl(server: HubServer | number): string {
  const port = typeof server === 'number' ? server : server.port;
  return `ws://127.0.0.1:${port}/ws`;
}

/** A connected client for a demo participant (not yet synced: await `client.whenSynced()`). */
export async function connect(server: HubServer, userId: string, opts: Partial<HubClientOptions> = {}): Promise<HubClient> {
  return new HubClient({ url: wsUrl(server), token: await tokenFor(server, userId), WebSocket: WebSocket as unknown as WebSocketCtor, backoffInitialMs: 50, backoffMaxMs: 500, ...opts });
}

/** Polls until `fn` returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(fn: () => T | Promise<T>, what = 'condition', timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw WebSocket to the hub, for sending frames the client library never would. Resolves with the close code. */
export function rawSocket(url: string): { ws: WebSocket; opened: Promise<void>; closed: Promise<{ code: number; reason: string }>; messages: Buffer[] } {
  const ws = new WebSocket(url);
  const messages: Buffer[] = [];
  ws.on('message', (d: Buffer) => messages.push(d));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return { ws, opened, closed, messages };
}
