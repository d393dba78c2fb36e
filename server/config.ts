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
  TALLY_INTERVAL_MS: int(100),
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
  // Identity and messaging (server/identity, server/messaging).
  MESSAGES_DEV: z.enum(['on', 'off']).default('on'),
  MESSAGES_TIMEOUT_MS: int(15_000),
  SMTP_HOST: z.string().optional(),
  SMTP_PORT: int(587),
  SMTP_SECURE: z.enum(['on', 'off']).default('off'),
  SMTP_REQUIRE_TLS: z.enum(['on', 'off']).default('on'),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  SMTP_FROM: z.string().default('Agora Meet <no-reply@localhost>'),
  SMS_URL: z.string().url().optional(),
  SMS_TOKEN: z.string().optional(),
  SMS_SENDER: z.string().max(32).optional(),
  IDP_JWKS_URL: z.string().url().optional(),
  IDP_ISSUER: z.string().optional(),
  IDP_AUDIENCE: z.string().optional(),
  IDP_CLAIM: z.enum(['inn', 'email', 'phone']).default('inn'),
  IDP_ALGORITHMS: z.string().default('RS256,PS256,ES256,EdDSA'),
  IDP_LABEL: z.string().max(100).default('External identity provider'),
  CODE_TTL_SECONDS: int(300),
  CODE_MAX_ATTEMPTS: int(5),
  CODE_WINDOW_SECONDS: int(900),
  CODE_MAX_PER_ROW: int(3),
  CODE_MAX_PER_ADDRESS: int(3),
  IDENTITY_RATE_PER_MINUTE: int(60),
  KEY_CHALLENGE_TTL_SECONDS: int(120),
  POA_MAX_BYTES: int(10 * 1024 * 1024),
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
  tallyIntervalMs: number;
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
  /** How the hub reaches people: real channels where configured, the development gateway elsewhere. */
  messages: MessagesConfig;
  /** Validation of participants (server/identity). */
  identity: IdentityConfig;
}

/** Message channels. A channel with no adapter configured uses the development gateway when `dev` is on, else refuses to send. */
export interface MessagesConfig {
  dev: boolean;
  /** Per message, for SMTP and the SMS gateway. */
  timeoutMs: number;
  smtp: { host: string; port: number; secure: boolean; requireTls: boolean; user: string | undefined; password: string | undefined; from: string } | null;
  sms: { url: string; token: string | undefined; sender: string | undefined } | null;
}

/** Identity settings: the external identity provider (or null), one-time codes, key challenges, powers of attorney. */
export interface IdentityConfig {
  idp: {
    jwksUrl: string;
    issuer: string | undefined;
    audience: string | undefined;
    /** The token claim matched against the register column of the same name. */
    claim: 'inn' | 'email' | 'phone';
    algorithms: string[];
    /** Shown on the login screen, e.g. "Госуслуги". */
    label: string;
  } | null;
  codeTtlSeconds: number;
  codeMaxAttempts: number;
  /** Rate limits of one-time codes: at most so many codes per register row and per address in this window. */
  codeWindowSeconds: number;
  codeMaxPerRow: number;
  codeMaxPerAddress: number;
  /** Requests per minute from one remote address to the public login endpoints. */
  ratePerMinute: number;
  keyChallengeTtlSeconds: number;
  powerOfAttorneyMaxBytes: number;
}

/** Builds the config from the environment (or from the given variables), refusing invalid values with a readable error. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.IDP_JWKS_URL && (!e.IDP_AUDIENCE || !e.IDP_ISSUER)) {
    // Without both checks any token the provider issued to any application would log people in here.
    throw new Error('invalid configuration:\n  IDP_AUDIENCE, IDP_ISSUER: required with IDP_JWKS_URL (the client id this hub is registered under, and the provider\'s issuer)');
  }
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
    tallyIntervalMs: e.TALLY_INTERVAL_MS,
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
    messages: {
      dev: e.MESSAGES_DEV === 'on',
      timeoutMs: e.MESSAGES_TIMEOUT_MS,
      smtp: e.SMTP_HOST
        ? {
            host: e.SMTP_HOST,
            port: e.SMTP_PORT,
            secure: e.SMTP_SECURE === 'on',
            requireTls: e.SMTP_REQUIRE_TLS === 'on',
            user: e.SMTP_USER,
            password: e.SMTP_PASSWORD,
            from: e.SMTP_FROM,
          }
        : null,
      sms: e.SMS_URL ? { url: e.SMS_URL, token: e.SMS_TOKEN, sender: e.SMS_SENDER } : null,
    },
    identity: {
      idp: e.IDP_JWKS_URL
        ? {
            jwksUrl: e.IDP_JWKS_URL,
            issuer: e.IDP_ISSUER,
            audience: e.IDP_AUDIENCE,
            claim: e.IDP_CLAIM,
            algorithms: e.IDP_ALGORITHMS.split(',').map((a) => a.trim()).filter((a) => a.length > 0),
            label: e.IDP_LABEL,
          }
        : null,
      codeTtlSeconds: e.CODE_TTL_SECONDS,
      codeMaxAttempts: e.CODE_MAX_ATTEMPTS,
      codeWindowSeconds: e.CODE_WINDOW_SECONDS,
      codeMaxPerRow: e.CODE_MAX_PER_ROW,
      codeMaxPerAddress: e.CODE_MAX_PER_ADDRESS,
      ratePerMinute: e.IDENTITY_RATE_PER_MINUTE,
      keyChallengeTtlSeconds: e.KEY_CHALLENGE_TTL_SECONDS,
      powerOfAttorneyMaxBytes: e.POA_MAX_BYTES,
    },
  };
}
