/**
 * The one module that reads the environment. It validates every variable and builds a typed config;
 * the rest of the server receives the config object and never touches process.env.
 */
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { workerBinaryOptionsFromEnv, type FindWorkerBinaryOptions } from '../sfu/workerBinary.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (one level above server/). */
export const REPO_ROOT = path.resolve(here, '..');

const int = (def: number) => z.coerce.number().int().nonnegative().default(def);

const EnvSchema = z.object({
  PORT: int(8080),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: z.string().url().optional(),
  DATA_DIR: z.string().default(path.join(REPO_ROOT, 'data', 'state')),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TOKEN_TTL_SECONDS: int(3600),
  TOKEN_REFRESH_BEFORE_SECONDS: int(300),
  DEMO: z.enum(['on', 'off']).default('on'),
  CLIENT_DIR: z.string().default(path.join(REPO_ROOT, 'client', 'build')),
  MAX_FRAME_BYTES: int(256 * 1024),
  MAX_DOC_BYTES: int(8 * 1024 * 1024),
  MAX_BACKPRESSURE_BYTES: int(4 * 1024 * 1024),
  RATE_FRAMES_PER_SECOND: int(60),
  RATE_FRAMES_BURST: int(200),
  AWARENESS_INTERVAL_MS: int(100),
  COMPACT_EVERY_UPDATES: int(500),
  UNLOAD_IDLE_MS: int(30_000),
  SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  MEDIA: z.enum(['on', 'off']).default('on'),
  MEDIA_WORKERS: int(Math.max(1, os.availableParallelism?.() ?? os.cpus().length)),
  MEDIA_RTC_MIN_PORT: int(40000),
  MEDIA_RTC_MAX_PORT: int(49999),
  MEDIA_LISTEN_IP: z.string().default('127.0.0.1'),
  MEDIA_ANNOUNCED_IP: z.string().optional(),
  REDIS_URL: z.string().optional(),
  MEDIASOUP_WORKER_BIN: z.string().optional(),
  MEDIASOUP_CACHE_DIR: z.string().optional(),
  XDG_CACHE_HOME: z.string().optional(),
  MAX_SPEAKERS: int(3),
});

/** The hub's configuration. Tests build one with `loadConfig({...overrides})`. */
export interface Config {
  port: number;
  host: string;
  publicUrl: string | undefined;
  dataDir: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  tokenTtlSeconds: number;
  tokenRefreshBeforeSeconds: number;
  /** Whether to load the demo meeting from data/demo and print login links. */
  demo: boolean;
  clientDir: string;
  limits: {
    maxFrameBytes: number;
    maxDocBytes: number;
    maxBackpressureBytes: number;
    rateFramesPerSecond: number;
    rateFramesBurst: number;
  };
  awarenessIntervalMs: number;
  compactEveryUpdates: number;
  unloadIdleMs: number;
  sqliteSynchronous: 'FULL' | 'NORMAL';
  media: {
    enabled: boolean;
    workers: number;
    rtcMinPort: number;
    rtcMaxPort: number;
    listenIp: string;
    announcedIp: string | undefined;
    /** Where to find the mediasoup worker binary. */
    worker: FindWorkerBinaryOptions;
    /** At most this many people hold the floor (unmuted) at once. */
    maxSpeakers: number;
  };
  redisUrl: string | undefined;
}

/** Builds the config from the environment (or from the given variables), refusing invalid values with a readable error. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL,
    dataDir: path.resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    tokenRefreshBeforeSeconds: e.TOKEN_REFRESH_BEFORE_SECONDS,
    demo: e.DEMO === 'on',
    clientDir: path.resolve(e.CLIENT_DIR),
    limits: {
      maxFrameBytes: e.MAX_FRAME_BYTES,
      maxDocBytes: e.MAX_DOC_BYTES,
      maxBackpressureBytes: e.MAX_BACKPRESSURE_BYTES,
      rateFramesPerSecond: e.RATE_FRAMES_PER_SECOND,
      rateFramesBurst: e.RATE_FRAMES_BURST,
    },
    awarenessIntervalMs: e.AWARENESS_INTERVAL_MS,
    compactEveryUpdates: e.COMPACT_EVERY_UPDATES,
    unloadIdleMs: e.UNLOAD_IDLE_MS,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    media: {
      enabled: e.MEDIA === 'on',
      workers: e.MEDIA_WORKERS,
      rtcMinPort: e.MEDIA_RTC_MIN_PORT,
      rtcMaxPort: e.MEDIA_RTC_MAX_PORT,
      listenIp: e.MEDIA_LISTEN_IP,
      announcedIp: e.MEDIA_ANNOUNCED_IP,
      worker: workerBinaryOptionsFromEnv(e),
      maxSpeakers: e.MAX_SPEAKERS,
    },
    redisUrl: e.REDIS_URL,
  };
}
