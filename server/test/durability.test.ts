import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';
import { readChat } from '../../shared/docs.ts';
import { HubClient, type WebSocketCtor } from '../../shared/client/HubClient.ts';
import { REPO_ROOT } from '../config.ts';
import { TokenService } from '../auth/TokenService.ts';
import { tempDir, waitFor, wsUrl, DEMO } from './helpers.ts';

/** Starts `npm start`'s entry point as a child process and resolves with its port once it listens. */
/**
 * A free port to start the first hub on. A hub started on port 0 cannot be restarted on the port it
 * got while its closed connections linger in TIME_WAIT (uWS sets SO_REUSEPORT only for explicit ports),
 * so tests that restart a hub give it an explicit port, as operators do.
 */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function startChild(dataDir: string, port = 0): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'server/main.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', MEDIA: 'off', RATE_FRAMES_PER_SECOND: '100000', RATE_FRAMES_BURST: '100000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"port":(\d+),"url"/.exec(buf);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`hub exited early with ${code}`)));
  });
}

async function organizerToken(dataDir: string): Promise<string> {
  const tokens = await TokenService.open(dataDir, 3600);
  return (await tokens.issue({ userId: 'org-ivanov', meetingId: DEMO, role: 'organizer', name: 'Иванов', rows: [] })).token;
}

describe('durability', () => {
  const children: ChildProcess[] = [];
  const clients: HubClient[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
    for (const ch of children.splice(0)) ch.kill('SIGKILL');
  });

  it('kill -9 during a burst of 1,000 commands loses none that was acknowledged, and applies none twice', async () => {
    const dataDir = tempDir();
    const first = await startChild(dataDir, await freePort());
    children.push(first.child);
    const token = await organizerToken(dataDir);
    const client = new HubClient({ url: wsUrl(first.port), token, WebSocket: WebSocket as unknown as WebSocketCtor, backoffInitialMs: 100, backoffMaxMs: 1000 });
    clients.push(client);
    await client.whenSynced();

    const acked = new Set<string>();
    const kill: { acked: Set<string> | null } = { acked: null };
    const all: Promise<unknown>[] = [];
    // Ten commands in flight at a time; the hub is killed the moment the 200th acknowledgement arrives.
    for (let i = 0; i < 1000; i += 10) {
      const batch = Array.from({ length: 10 }, (_, j) =>
        client.command('chat.post', { text: `burst-${i + j}` }, { id: `burst-cmd-${i + j}` }).then((r) => {
          if (r.ok) acked.add(`burst-${i + j}`);
          if (acked.size >= 200 && !kill.acked) {
            first.child.kill('SIGKILL');
            kill.acked = new Set(acked);
          }
          return r;
        }),
      );
      all.push(...batch);
      if (!kill.acked) await Promise.all(batch);
    }
    const ackedAtKill = await waitFor(() => kill.acked, 'the kill');
    expect(ackedAtKill.size).toBeGreaterThan(0);
    expect(ackedAtKill.size).toBeLessThan(1000);

    // The same data directory, the same port: the client reconnects by itself and resends what was not answered.
    const second = await startChild(dataDir, first.port);
    children.push(second.child);
    const results = (await Promise.all(all)) as { ok: boolean }[];
    expect(results.every((r) => r.ok)).toBe(true);
    await client.whenSynced();
    const texts = readChat(client.docs.chat).map((m) => m.text);
    for (const t of ackedAtKill) expect(texts).toContain(t);
    // Every command applied exactly once: retries of durable-but-unanswered commands were answered, not re-applied.
    expect(texts.filter((t) => t.startsWith('burst-'))).toHaveLength(1000);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('a client reconnects after a graceful restart (SIGTERM) and resyncs, seeing what happened while it was away', async () => {
    const dataDir = tempDir();
    const first = await startChild(dataDir, await freePort());
    children.push(first.child);
    const tokens = await TokenService.open(dataDir, 3600);
    const token = async (userId: string, role: 'organizer' | 'voter', rows: string[]) => (await tokens.issue({ userId, meetingId: DEMO, role, name: userId, rows })).token;
    const client = new HubClient({ url: wsUrl(first.port), token: await token('org-ivanov', 'organizer', []), WebSocket: WebSocket as unknown as WebSocketCtor, backoffInitialMs: 100, backoffMaxMs: 500 });
    clients.push(client);
    await client.whenSynced();
    expect((await client.command('chat.post', { text: 'before restart' })).ok).toBe(true);
    const exited = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGTERM');
    await waitFor(() => client.state === 'reconnecting', 'client notices the shutdown');
    expect(client.lastClose?.code).toBe(4100);
    expect(await exited).toBe(0);

    const second = await startChild(dataDir, first.port);
    children.push(second.child);
    const other = new HubClient({ url: wsUrl(second.port), token: await token('cred-stroy', 'voter', ['c02']), WebSocket: WebSocket as unknown as WebSocketCtor });
    clients.push(other);
    await other.whenSynced();
    await waitFor(() => client.state === 'open', 'client back');
    await client.whenSynced();
    expect((await client.command('participant.admit', { userId: 'cred-stroy' })).ok).toBe(true);
    expect((await other.command('chat.post', { text: 'after restart' })).ok).toBe(true);
    await waitFor(() => readChat(client.docs.chat).map((m) => m.text).join('|') === 'before restart|after restart', 'chat after restart');
  });
});
