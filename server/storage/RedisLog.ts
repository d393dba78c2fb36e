/**
 * The live meeting log on Redis, for a cluster of hubs: Yjs updates (a stream per meeting), command
 * results, the ballot ledger and the audit log. Only a meeting's owner appends, in one Lua script
 * that first checks the owner's epoch (fencing token), so a stale owner's write is refused.
 * Run Redis with `appendonly yes` and `appendfsync always` for "acknowledged means durable".
 * Everything else (meetings, registers, users, invitations, documents) stays in the shared base
 * storage: `clusterStorage` routes each call to the right place.
 */
import { Redis } from 'ioredis';
import { whenReady } from '../cluster/Cluster.ts';
import type { AuditRecord, CommandRecord, LedgerRecord, MeetingState, Storage, WriteBatch } from './Storage.ts';

/** Thrown when a write carries an epoch older than the meeting's current one. */
export class StaleEpochError extends Error {
  constructor(meetingId: string) {
    super(`stale epoch: meeting ${meetingId} has a newer owner`);
  }
}

const P = 'am:';
const K = {
  epoch: (m: string) => `${P}m:${m}:epoch`,
  log: (m: string) => `${P}m:${m}:log`,
  commands: (m: string) => `${P}m:${m}:cmd`,
  commandOrder: (m: string) => `${P}m:${m}:cmdorder`,
  ballots: (m: string) => `${P}m:${m}:ballots`,
  audit: (m: string) => `${P}m:${m}:audit`,
  snapshots: (m: string) => `${P}m:${m}:snap`,
  snapshotIds: (m: string) => `${P}m:${m}:snapid`,
};

/** Appends a flush atomically: epoch check, ballot-chain continuity check, then every write. */
const APPEND = `
local epoch = ARGV[1]
if epoch ~= '' then
  local cur = redis.call('GET', KEYS[1])
  if cur ~= epoch then return redis.error_reply('STALE_EPOCH') end
end
local i = 2
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('XADD', KEYS[2], '*', 'd', ARGV[i], 'b', ARGV[i + 1]); i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local seq = redis.call('INCR', KEYS[4] .. ':n')
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[4], seq, ARGV[i]); i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
local first = tonumber(ARGV[i]); i = i + 1
if n > 0 and redis.call('LLEN', KEYS[5]) ~= first - 1 then return redis.error_reply('LEDGER_GAP') end
for _ = 1, n do redis.call('RPUSH', KEYS[5], ARGV[i]); i = i + 1 end
n = tonumber(ARGV[i]); i = i + 1
first = tonumber(ARGV[i]); i = i + 1
if n > 0 and redis.call('LLEN', KEYS[6]) ~= first - 1 then return redis.error_reply('AUDIT_GAP') end
for _ = 1, n do redis.call('RPUSH', KEYS[6], ARGV[i]); i = i + 1 end
return 1
`;

type RedisWithScripts = Redis & {
  appendBatch(...args: (string | Buffer | number)[]): Promise<number>;
};

/** The methods of Storage that the Redis log implements. */
export type LogMethods = 'appendLog' | 'compact' | 'loadMeetingState' | 'loadLedger' | 'loadAudit';

/** The meeting log shared by every hub of a cluster. */
export class RedisLog implements Pick<Storage, LogMethods> {
  private readonly r: RedisWithScripts;
  /** The epoch this hub owns each meeting with (set by the lease); writes carry it. */
  private readonly epochs = new Map<string, string>();

  constructor(url: string) {
    const r = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: false, lazyConnect: false });
    r.defineCommand('appendBatch', { numberOfKeys: 6, lua: APPEND });
    this.r = r as RedisWithScripts;
  }

  /** Resolves once connected (writes are refused while disconnected, never queued). */
  ready(): Promise<void> {
    return whenReady(this.r);
  }

  /** Sets (or clears) the epoch this hub writes a meeting's log with. */
  setEpoch(meetingId: string, epoch: number | null): void {
    if (epoch === null) this.epochs.delete(meetingId);
    else this.epochs.set(meetingId, String(epoch));
  }

  async appendLog(meetingId: string, batch: WriteBatch): Promise<void> {
    const args: (string | Buffer | number)[] = [
      K.epoch(meetingId),
      K.log(meetingId),
      K.commands(meetingId),
      K.commandOrder(meetingId),
      K.ballots(meetingId),
      K.audit(meetingId),
      this.epochs.get(meetingId) ?? '',
      batch.entries.length,
    ];
    for (const e of batch.entries) args.push(e.doc, Buffer.from(e.update.buffer, e.update.byteOffset, e.update.byteLength));
    args.push(batch.commands.length);
    for (const c of batch.commands) args.push(c.key, JSON.stringify(c.result));
    args.push(batch.ballots.length, batch.ballots[0]?.seq ?? 0);
    for (const b of batch.ballots) args.push(JSON.stringify(b));
    args.push(batch.audit.length, batch.audit[0]?.seq ?? 0);
    for (const a of batch.audit) args.push(JSON.stringify(a));
    try {
      await this.r.appendBatch(...args);
    } catch (err) {
      if (err instanceof Error && err.message.includes('STALE_EPOCH')) throw new StaleEpochError(meetingId);
      throw err;
    }
  }

  async compact(meetingId: string, doc: string, state: Uint8Array): Promise<void> {
    // The snapshot covers the log up to the stream's last entry at this moment (the owner compacts between writes).
    const last = await this.r.xrevrange(K.log(meetingId), '+', '-', 'COUNT', 1);
    const upto = last[0]?.[0] ?? '0-0';
    await this.r
      .multi()
      .hset(K.snapshots(meetingId), doc, Buffer.from(state.buffer, state.byteOffset, state.byteLength))
      .hset(K.snapshotIds(meetingId), doc, upto)
      .exec();
    const ids = Object.values(await this.r.hgetall(K.snapshotIds(meetingId)));
    if (ids.length >= 7) {
      const min = ids.sort(compareStreamIds)[0]!;
      await this.r.xtrim(K.log(meetingId), 'MINID', min);
    }
  }

  async loadMeetingState(meetingId: string, recentCommands: number): Promise<MeetingState> {
    const docs = new Map<string, { snapshot: Uint8Array | null; updates: Uint8Array[] }>();
    const sinceSnapshot = new Map<string, number>();
    const snaps = await this.r.hgetallBuffer(K.snapshots(meetingId));
    const snapIds = await this.r.hgetall(K.snapshotIds(meetingId));
    for (const [doc, state] of Object.entries(snaps)) docs.set(doc, { snapshot: new Uint8Array(state), updates: [] });
    const entries = await this.r.xrangeBuffer(K.log(meetingId), '-', '+');
    for (const [idBuf, fields] of entries) {
      const id = idBuf.toString();
      let doc = '';
      let data: Buffer | null = null;
      for (let i = 0; i < fields.length; i += 2) {
        const name = fields[i]!.toString();
        if (name === 'd') doc = fields[i + 1]!.toString();
        else if (name === 'b') data = fields[i + 1]!;
      }
      if (!data) continue;
      const upto = snapIds[doc];
      if (upto && compareStreamIds(id, upto) <= 0) continue;
      let d = docs.get(doc);
      if (!d) docs.set(doc, (d = { snapshot: null, updates: [] }));
      d.updates.push(new Uint8Array(data));
      sinceSnapshot.set(doc, (sinceSnapshot.get(doc) ?? 0) + 1);
    }
    const keys = await this.r.zrevrange(K.commandOrder(meetingId), 0, recentCommands - 1);
    const values = keys.length > 0 ? await this.r.hmget(K.commands(meetingId), ...keys) : [];
    const commands: CommandRecord[] = keys
      .map((key, i) => ({ key, result: JSON.parse(values[i] ?? 'null') as unknown }))
      .reverse();
    return { docs, commands, sinceSnapshot };
  }

  async loadLedger(meetingId: string): Promise<LedgerRecord[]> {
    return (await this.r.lrange(K.ballots(meetingId), 0, -1)).map((v) => JSON.parse(v) as LedgerRecord);
  }

  async loadAudit(meetingId: string): Promise<AuditRecord[]> {
    return (await this.r.lrange(K.audit(meetingId), 0, -1)).map((v) => JSON.parse(v) as AuditRecord);
  }

  async close(): Promise<void> {
    this.r.disconnect();
  }
}

/** Orders Redis stream ids ("ms-seq"). */
function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
}

/** A Storage whose live log is the Redis log and whose other records stay in the base storage. */
export function clusterStorage(base: Storage, log: RedisLog): Storage {
  const routed: ReadonlySet<string | symbol> = new Set<LogMethods>(['appendLog', 'compact', 'loadMeetingState', 'loadLedger', 'loadAudit']);
  return new Proxy(base, {
    get(target, prop, receiver) {
      if (prop === 'close') {
        return async () => {
          await log.close();
          await target.close();
        };
      }
      if (routed.has(prop)) {
        const fn = Reflect.get(log, prop, log) as (...a: unknown[]) => unknown;
        return fn.bind(log);
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
