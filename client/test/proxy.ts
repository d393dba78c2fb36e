/**
 * A TCP proxy between the browsers and the hub, so a test can cut the network (every connection
 * reset, new ones refused) and restore it, the way a flaky Wi-Fi would, without touching the hub.
 */
import net from 'node:net';

/** A running proxy. */
export interface NetworkProxy {
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Cuts (false) or restores (true) the network. */
  setOnline(online: boolean): void;
  close(): Promise<void>;
}

/** Starts a proxy to 127.0.0.1:targetPort on a free port. */
export async function startProxy(targetPort: number): Promise<NetworkProxy> {
  const sockets = new Set<net.Socket>();
  let online = true;
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = net.createServer((client) => {
    track(client);
    if (!online) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    setOnline(next) {
      online = next;
      if (!next) for (const s of sockets) s.resetAndDestroy();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
