/**
 * Assembles one hub process: storage, tokens, the hub core, the HTTP API and the transport.
 * Tests start it on port 0 with a temp data directory; main.ts starts it from the environment.
 */
import path from 'node:path';
import type { Config } from './config.ts';
import { REPO_ROOT } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { HubMetrics } from './metrics.ts';
import { SqliteStorage } from './storage/SqliteStorage.ts';
import type { Storage } from './storage/Storage.ts';
import { TokenService } from './auth/TokenService.ts';
import { Hub } from './hub/Hub.ts';
import { createApi } from './http/api.ts';
import { startTransport, type Transport } from './transport/uws.ts';
import { seedDemo, type DemoLink } from './demo/seed.ts';
import { MediaService } from './media/MediaService.ts';
import { RedisLog, clusterStorage } from './storage/RedisLog.ts';
import { Cluster } from './cluster/Cluster.ts';
import { ClusterCoordinator } from './cluster/ClusterCoordinator.ts';
import { ClusterMetrics } from './cluster/metrics.ts';
import { identityRoutes } from './http/routes/identity.ts';
import { createMessageGateway } from './messaging/ChannelGateway.ts';
import { protocolRoutes } from './http/routes/protocol.ts';

/** Largest HTTP request body (documents are the largest). */
const MAX_BODY_BYTES = 25 * 1024 * 1024;
/** uWS's own hard frame cap, above the hub's named limit so the hub can close with its own code. */
const TRANSPORT_FRAME_CAP = 16 * 1024 * 1024;
const IDLE_TIMEOUT_SECONDS = 60;

/** A running hub. */
export interface HubServer {
  hub: Hub;
  port: number;
  url: string;
  log: Logger;
  demo: { meetingId: string; links: DemoLink[] } | null;
  /** Graceful shutdown: stop accepting, close sessions with a named code, flush storage. Idempotent. */
  stop(): Promise<void>;
}

/** Starts a hub with the given config. */
export async function startHub(config: Config, opts: { log?: Logger; storage?: Storage } = {}): Promise<HubServer> {
  const log = opts.log ?? createLogger(config.logLevel);
  const sqlite = opts.storage ?? new SqliteStorage(path.join(config.dataDir, 'hub.sqlite'), { synchronous: config.sqliteSynchronous });
  // In a cluster the live meeting log lives in Redis, where every hub reads it; other records stay in the shared base storage.
  const redisLog = config.redisUrl ? new RedisLog(config.redisUrl) : null;
  const storage = redisLog ? clusterStorage(sqlite, redisLog) : sqlite;
  await redisLog?.ready();
  const tokens = await TokenService.open(config.dataDir, config.tokenTtlSeconds);
  const metrics = new HubMetrics();
  const media = await MediaService.start(config, log);
  const hub = new Hub(config, storage, tokens, log, metrics, media);
  hub.messages = createMessageGateway(config.messages, log.child({ component: 'messages' }));
  if (config.redisUrl && redisLog) {
    const cluster = new Cluster(config.redisUrl, log.child({ component: 'cluster' }));
    hub.coordinator = new ClusterCoordinator(cluster, redisLog, new ClusterMetrics(metrics.registry), log.child({ component: 'cluster' }), {
      evict: (m) => hub.evict(m),
      load: (id) => hub.getMeeting(id),
      loaded: (id) => hub.loadedMeeting(id),
    });
    await hub.coordinator.start();
    log.info({ instance: cluster.instanceId }, 'cluster mode: meetings are owned by lease in Redis');
  }
  let ready = false;
  let publicUrl = config.publicUrl ?? '';
  const api = createApi(hub, { publicUrl: () => publicUrl, ready: () => ready }, [identityRoutes, protocolRoutes]);
  const transport: Transport = await startTransport(
    {
      host: config.host,
      port: config.port,
      maxPayloadBytes: TRANSPORT_FRAME_CAP,
      maxBackpressureBytes: config.limits.maxBackpressureBytes,
      maxBodyBytes: MAX_BODY_BYTES,
      idleTimeoutSeconds: IDLE_TIMEOUT_SECONDS,
    },
    {
      http: api,
      authenticate: (query) => hub.authenticate(query.get('token')),
      open: (socket, auth) => {
        const a = auth as Awaited<ReturnType<Hub['authenticate']>>;
        if (!a.ok) {
          // Refuse after the upgrade so the browser can read the close code (an HTTP 401 is opaque to it).
          socket.close(a.code, 'refused');
          return { onMessage() {}, onClose() {}, onDrain() {} };
        }
        return hub.openSession(socket, a.claims);
      },
      onError: (err) => log.error({ err }, 'transport handler failed'),
    },
  );
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${shownHost}:${transport.port}`;
  if (!config.publicUrl) publicUrl = url;

  let demo: HubServer['demo'] = null;
  if (config.demo) demo = await seedDemo(hub, path.join(REPO_ROOT, 'data', 'demo'), publicUrl);
  ready = true;
  log.info({ port: transport.port, url, dataDir: config.dataDir }, 'hub listening');

  let stopping: Promise<void> | null = null;
  return {
    hub,
    port: transport.port,
    url,
    log,
    demo,
    stop() {
      stopping ??= (async () => {
        ready = false;
        transport.close();
        await hub.shutdown();
        await hub.messages.close?.();
        await storage.close();
        metrics.close();
        log.info('hub stopped');
      })();
      return stopping;
    },
  };
}
