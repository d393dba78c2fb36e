/**
 * The cluster layer: one Redis shared by every hub. Leases with epochs decide which hub owns a
 * meeting; pub/sub carries the owner's durable updates to replicas, forwarded commands to the owner
 * and answers back to the hub that forwarded them. Pub/sub may drop messages: replicas repair gaps
 * with a state-vector diff from the owner.
 */
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../log.ts';

/** Lease length; the owner renews it three times per period. */
export const LEASE_MS = 3000;

const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return nil end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. epoch, 'PX', ARGV[2])
return epoch
`;
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const B64 = z.string().max(64 * 1024 * 1024);
const Claims = z.object({ userId: z.string(), name: z.string(), role: z.enum(['organizer', 'voter', 'representative', 'observer']), rows: z.array(z.string()) });

/** Messages between hubs, one union on `k`; `i` is the sender's instance id (to drop echoes). */
export const ClusterMessageSchema = z.discriminatedUnion('k', [
  /** Owner -> all: updates that are durable, in order (`seq` per epoch). */
  z.object({ k: z.literal('up'), i: z.string(), epoch: z.number(), seq: z.number(), t: z.number(), docs: z.array(z.object({ doc: z.string(), u: B64 })) }),
  /** Any hub -> all: an awareness update of its local sessions. */
  z.object({ k: z.literal('aw'), i: z.string(), u: B64 }),
  /** Owner -> all: close every session of a user (removed, revoked). */
  z.object({ k: z.literal('close-user'), i: z.string(), userId: z.string(), code: z.number() }),
  /** Hub -> owner: a command from one of its sessions. */
  z.object({ k: z.literal('cmd'), i: z.string(), s: z.string(), claims: Claims, env: z.unknown() }),
  /** Hub -> owner: an organizer's edit of the collaborative document. */
  z.object({ k: z.literal('draft'), i: z.string(), s: z.string(), claims: Claims, doc: z.string(), u: B64 }),
  /** Any hub -> owner: the roster or register changed in storage; reload it. */
  z.object({ k: z.literal('roster'), i: z.string() }),
  /** Hub -> owner: "here are my state vectors, send what I miss". */
  z.object({ k: z.literal('sv'), i: z.string(), svs: z.array(z.object({ doc: z.string(), sv: B64 })) }),
  /** Owner -> one hub: the diff for its state vectors. */
  z.object({ k: z.literal('diff'), i: z.string(), mid: z.string(), epoch: z.number(), seq: z.number(), docs: z.array(z.object({ doc: z.string(), u: B64 })) }),
  /** Owner -> one hub: a frame for one of its sessions (a command result). */
  z.object({ k: z.literal('frame'), i: z.string(), mid: z.string(), s: z.string(), f: B64 }),
  /** Owner -> one hub: close one of its sessions. */
  z.object({ k: z.literal('close'), i: z.string(), mid: z.string(), s: z.string(), code: z.number() }),
]);
export type ClusterMessage = z.infer<typeof ClusterMessageSchema>;
/** Messages without the sender id (the cluster adds it). */
export type Outgoing = ClusterMessage extends infer M ? (M extends { i: string } ? Omit<M, 'i'> : never) : never;

/** Channel names. */
export const Channels = {
  meeting: (mid: string) => `am:ch:${mid}`,
  owner: (mid: string) => `am:own:${mid}`,
  hub: (instance: string) => `am:hub:${instance}`,
};

/** Bytes to and from the base64 used on the wire between hubs. */
export const b64 = {
  enc: (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64'),
  dec: (s: string) => new Uint8Array(Buffer.from(s, 'base64')),
};

type Handler = (m: ClusterMessage) => void;

/** This hub's membership in the cluster. */
export class Cluster {
  readonly instanceId = `hub-${crypto.randomBytes(5).toString('hex')}`;
  private readonly pub: Redis & {
    acquireLease(k1: string, k2: string, who: string, ttl: number): Promise<number | null>;
    renewLease(k: string, token: string, ttl: number): Promise<number>;
    releaseLease(k: string, token: string): Promise<number>;
  };
  private readonly sub: Redis;
  private readonly handlers = new Map<string, Set<Handler>>();
  /** Called after Redis comes back: subscriptions are restored, replicas should resync. */
  onReconnect: () => void = () => {};

  constructor(
    url: string,
    private readonly log: Logger,
  ) {
    const pub = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: false });
    pub.defineCommand('acquireLease', { numberOfKeys: 2, lua: ACQUIRE });
    pub.defineCommand('renewLease', { numberOfKeys: 1, lua: RENEW });
    pub.defineCommand('releaseLease', { numberOfKeys: 1, lua: RELEASE });
    this.pub = pub as typeof this.pub;
    this.sub = new Redis(url, { maxRetriesPerRequest: null });
    this.sub.on('message', (channel: string, text: string) => this.dispatch(channel, text));
    let first = true;
    this.sub.on('ready', () => {
      if (first) {
        first = false;
        return;
      }
      this.log.warn('redis connection restored; resyncing replicas');
      this.onReconnect();
    });
    this.pub.on('error', (err) => this.log.warn({ err: err.message }, 'redis error'));
    this.sub.on('error', (err) => this.log.warn({ err: err.message }, 'redis subscriber error'));
  }

  /** Waits until both connections are ready. */
  async ready(): Promise<void> {
    await Promise.all([whenReady(this.pub), whenReady(this.sub)]);
  }

  private dispatch(channel: string, text: string): void {
    let parsed: ClusterMessage;
    try {
      const p = ClusterMessageSchema.safeParse(JSON.parse(text));
      if (!p.success) {
        this.log.error({ channel }, 'malformed cluster message dropped');
        return;
      }
      parsed = p.data;
    } catch {
      this.log.error({ channel }, 'unparsable cluster message dropped');
      return;
    }
    if (parsed.i === this.instanceId && parsed.k !== 'frame' && parsed.k !== 'close' && parsed.k !== 'diff') return; // our own echo
    for (const h of this.handlers.get(channel) ?? []) {
      try {
        h(parsed);
      } catch (err) {
        this.log.error({ err, channel }, 'cluster message handler failed');
      }
    }
  }

  /** Subscribes a handler to a channel; returns the unsubscribe function. */
  async subscribe(channel: string, h: Handler): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) {
      this.handlers.set(channel, (set = new Set()));
      await this.sub.subscribe(channel);
    }
    set.add(h);
    return async () => {
      set.delete(h);
      if (set.size === 0 && this.handlers.get(channel) === set) {
        this.handlers.delete(channel);
        await this.sub.unsubscribe(channel).catch(() => {});
      }
    };
  }

  /** Number of channels this hub listens on (the soak checks it returns to baseline). */
  get subscriptions(): number {
    return this.handlers.size;
  }

  /** Publishes a message; resolves false when Redis is unreachable. */
  async publish(channel: string, m: Outgoing): Promise<boolean> {
    try {
      await this.pub.publish(channel, JSON.stringify({ ...m, i: this.instanceId }));
      return true;
    } catch {
      return false;
    }
  }

  private leaseKey(mid: string): string {
    return `am:lease:${mid}`;
  }

  /** Takes a meeting's lease if nobody holds it; returns the new epoch, or null. */
  async acquire(mid: string): Promise<number | null> {
    const r = await this.pub.acquireLease(this.leaseKey(mid), `am:m:${mid}:epoch`, this.instanceId, LEASE_MS);
    return r === null ? null : Number(r);
  }

  /** Renews a held lease; false when it was lost (expired and maybe taken). */
  async renew(mid: string, epoch: number): Promise<boolean> {
    try {
      return (await this.pub.renewLease(this.leaseKey(mid), `${this.instanceId}:${epoch}`, LEASE_MS)) === 1;
    } catch {
      return false;
    }
  }

  /** Gives a lease back (meeting unloaded). */
  async release(mid: string, epoch: number): Promise<void> {
    await this.pub.releaseLease(this.leaseKey(mid), `${this.instanceId}:${epoch}`).catch(() => 0);
  }

  /** Who holds a meeting's lease now, or null. */
  async owner(mid: string): Promise<{ instance: string; epoch: number } | null> {
    const v = await this.pub.get(this.leaseKey(mid)).catch(() => null);
    if (!v) return null;
    const at = v.lastIndexOf(':');
    return { instance: v.slice(0, at), epoch: Number(v.slice(at + 1)) };
  }

  close(): void {
    this.pub.disconnect();
    this.sub.disconnect();
  }
}

/** Resolves when an ioredis connection is ready (commands are refused before, with the offline queue off). */
export function whenReady(r: Redis): Promise<void> {
  if (r.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => r.once('ready', () => resolve()));
}
