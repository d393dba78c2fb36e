/**
 * One meeting's presence in the cluster, on one hub. On the owner: publishes durable updates in
 * order, applies commands and drafts forwarded by other hubs, answers state-vector requests. On a
 * replica: mirrors the owner's updates, repairs gaps (sequence gaps, a new epoch, Redis reconnects,
 * and a periodic check) with a state-vector diff, forwards commands and answers them back locally.
 */
import * as Y from 'yjs';
import { Op, encodeJson, type CommandEnvelope } from '../../shared/protocol/index.ts';
import { DOC_NAMES, type DocName } from '../../shared/docs.ts';
import type { Logger } from '../log.ts';
import type { Meeting, ClusterHooks } from '../meeting/Meeting.ts';
import type { MeetingSession } from '../meeting/MeetingSession.ts';
import { Channels, b64, type Cluster, type ClusterMessage } from './Cluster.ts';
import { RemoteSession } from './RemoteSession.ts';
import type { ClusterMetrics } from './metrics.ts';

/** How often a replica compares state vectors with the owner even when nothing seems lost. */
export const ANTI_ENTROPY_MS = 5000;
/** A forwarded command without an answer by then is answered "unavailable" (retry with the same id). */
export const FORWARD_TIMEOUT_MS = 8000;
/** Remote sessions unused for this long are forgotten by the owner. */
const REMOTE_IDLE_MS = 10 * 60_000;

/** Local sessions as a replica names them for the owner. */
type Keyed = MeetingSession & { clusterKey?: string };

/** The cluster link of one loaded meeting. */
export class MeetingLink implements ClusterHooks {
  private seq = 0;
  private lastSeen: { epoch: number; seq: number } | null = null;
  private readonly local = new Map<string, Keyed>();
  private readonly remote = new Map<string, RemoteSession>();
  private readonly forwards = new Map<string, { session: Keyed; id: string; timer: NodeJS.Timeout }>();
  private readonly unsubscribers: (() => Promise<void>)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private keyCounter = 0;
  /** When a replica last asked the owner for anything (the owner stays loaded while replicas use it). */
  lastRemoteActivity = 0;

  constructor(
    private readonly meeting: Meeting,
    private readonly cluster: Cluster,
    /** The owner's epoch, or null on a replica. */
    readonly epoch: number | null,
    private readonly log: Logger,
    private readonly metrics: ClusterMetrics,
  ) {}

  get isOwner(): boolean {
    return this.epoch !== null;
  }

  /** Subscribes; a replica asks for what it misses right away and then periodically. */
  async start(): Promise<void> {
    const mid = this.meeting.id;
    this.unsubscribers.push(await this.cluster.subscribe(Channels.meeting(mid), (m) => this.onMeetingMessage(m)));
    if (this.isOwner) {
      this.unsubscribers.push(await this.cluster.subscribe(Channels.owner(mid), (m) => this.onOwnerMessage(m)));
      this.timer = setInterval(() => this.sweepRemote(), REMOTE_IDLE_MS / 10);
    } else {
      this.requestDiff();
      this.timer = setInterval(() => this.requestDiff(), ANTI_ENTROPY_MS);
    }
  }

  /** Unsubscribes and answers pending forwards. Idempotent. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const f of this.forwards.values()) {
      clearTimeout(f.timer);
      this.answerUnavailable(f.session, f.id, 'The meeting moved to another server; retry.');
    }
    this.forwards.clear();
    await Promise.all(this.unsubscribers.splice(0).map((u) => u()));
  }

  // ---- owner side ---------------------------------------------------------------------------

  published(entries: { doc: DocName; update: Uint8Array }[]): void {
    if (!this.isOwner) return;
    this.seq += 1;
    void this.cluster.publish(Channels.meeting(this.meeting.id), {
      k: 'up',
      epoch: this.epoch!,
      seq: this.seq,
      t: Date.now(),
      docs: entries.map((e) => ({ doc: e.doc, u: b64.enc(e.update) })),
    });
  }

  closeUser(userId: string, code: number): void {
    void this.cluster.publish(Channels.meeting(this.meeting.id), { k: 'close-user', userId, code });
  }

  private onOwnerMessage(m: ClusterMessage): void {
    this.lastRemoteActivity = Date.now();
    switch (m.k) {
      case 'cmd': {
        const env = m.env as CommandEnvelope;
        this.metrics.forwardedIn.inc();
        this.meeting.handleCommand(this.remoteSession(m.i, m.s, m.claims), env);
        return;
      }
      case 'draft': {
        if (m.claims.role !== 'organizer' || m.doc !== 'drafts') return;
        try {
          Y.applyUpdate(this.meeting.docs.drafts, b64.dec(m.u), this.remoteSession(m.i, m.s, m.claims));
        } catch (err) {
          this.log.warn({ err }, 'malformed forwarded draft update dropped');
        }
        return;
      }
      case 'roster':
        void this.meeting.reloadRoster().catch((err: unknown) => this.log.error({ err }, 'roster reload failed'));
        return;
      case 'sv': {
        const docs = m.svs.flatMap(({ doc, sv }) => {
          if (!(DOC_NAMES as readonly string[]).includes(doc)) return [];
          const diff = Y.encodeStateAsUpdate(this.meeting.docs[doc as DocName], b64.dec(sv));
          return diff.length > 2 ? [{ doc, u: b64.enc(diff) }] : [];
        });
        void this.cluster.publish(Channels.hub(m.i), { k: 'diff', mid: this.meeting.id, epoch: this.epoch!, seq: this.seq, docs });
        return;
      }
      default:
        return;
    }
  }

  private remoteSession(hub: string, key: string, c: { userId: string; name: string; role: RemoteSession['role']; rows: string[] }): RemoteSession {
    const id = `${hub}|${key}`;
    let r = this.remote.get(id);
    if (!r) {
      const mid = this.meeting.id;
      r = new RemoteSession(
        id,
        hub,
        c.userId,
        c.name,
        c.role,
        c.rows,
        (frame) => void this.cluster.publish(Channels.hub(hub), { k: 'frame', mid, s: key, f: b64.enc(frame) }),
        (code) => void this.cluster.publish(Channels.hub(hub), { k: 'close', mid, s: key, code }),
      );
      this.remote.set(id, r);
    }
    r.lastUsed = Date.now();
    return r;
  }

  private sweepRemote(): void {
    const cutoff = Date.now() - REMOTE_IDLE_MS;
    for (const [k, r] of this.remote) if (r.lastUsed < cutoff) this.remote.delete(k);
  }

  // ---- replica side -------------------------------------------------------------------------

  private keyOf(s: Keyed): string {
    if (!s.clusterKey) s.clusterKey = `${s.userId}:${(this.keyCounter += 1)}:${Math.random().toString(36).slice(2, 8)}`;
    this.local.set(s.clusterKey, s);
    return s.clusterKey;
  }

  /** A local session left: forget its key. */
  sessionClosed(s: Keyed): void {
    if (s.clusterKey) this.local.delete(s.clusterKey);
  }

  forwardCommand(s: Keyed, env: CommandEnvelope): void {
    const key = this.keyOf(s);
    const fkey = `${key}:${env.id}`;
    if (this.forwards.has(fkey)) return;
    const timer = setTimeout(() => {
      this.forwards.delete(fkey);
      this.answerUnavailable(s, env.id, 'The meeting\'s server did not answer in time; retry.');
    }, FORWARD_TIMEOUT_MS);
    this.forwards.set(fkey, { session: s, id: env.id, timer });
    this.metrics.forwardedOut.inc();
    void this.cluster
      .publish(Channels.owner(this.meeting.id), { k: 'cmd', s: key, claims: { userId: s.userId, name: s.name, role: s.role, rows: [...s.rows] }, env })
      .then((sent) => {
        if (sent) return;
        clearTimeout(timer);
        this.forwards.delete(fkey);
        this.answerUnavailable(s, env.id, 'The cluster is unreachable right now; retry.');
      });
  }

  forwardUpdate(s: Keyed, doc: DocName, update: Uint8Array): void {
    void this.cluster.publish(Channels.owner(this.meeting.id), {
      k: 'draft',
      s: this.keyOf(s),
      claims: { userId: s.userId, name: s.name, role: s.role, rows: [...s.rows] },
      doc,
      u: b64.enc(update),
    });
  }

  awareness(update: Uint8Array): void {
    void this.cluster.publish(Channels.meeting(this.meeting.id), { k: 'aw', u: b64.enc(update) });
  }

  private answerUnavailable(s: MeetingSession, id: string, message: string): void {
    s.send(encodeJson(Op.Result, { id, ok: false, error: { code: 'unavailable', message } }));
  }

  /** Asks the owner for everything this replica lacks. */
  requestDiff(): void {
    if (this.isOwner) return;
    const svs = DOC_NAMES.map((doc) => ({ doc, sv: b64.enc(Y.encodeStateVector(this.meeting.docs[doc])) }));
    void this.cluster.publish(Channels.owner(this.meeting.id), { k: 'sv', svs });
  }

  private onMeetingMessage(m: ClusterMessage): void {
    switch (m.k) {
      case 'up': {
        if (this.isOwner) return; // another hub believes it owns the meeting: its writes are fenced off
        this.metrics.pubsubLag.observe(Math.max(0, Date.now() - m.t) / 1000);
        const gap = this.lastSeen !== null && (m.epoch !== this.lastSeen.epoch || m.seq !== this.lastSeen.seq + 1);
        this.lastSeen = { epoch: m.epoch, seq: m.seq };
        for (const { doc, u } of m.docs) this.meeting.applyRemote(doc, b64.dec(u));
        if (gap) {
          this.metrics.resyncs.inc();
          this.requestDiff();
        }
        return;
      }
      case 'aw':
        this.meeting.applyRemoteAwareness(b64.dec(m.u));
        return;
      case 'close-user':
        if (!this.isOwner) for (const s of [...this.meeting.sessions]) if (s.userId === m.userId) s.close(m.code);
        return;
      default:
        return;
    }
  }

  /** Messages for this meeting that arrived on this hub's own channel. */
  onHubMessage(m: ClusterMessage): void {
    switch (m.k) {
      case 'frame': {
        const s = this.local.get(m.s);
        const frame = b64.dec(m.f);
        if (frame[0] === Op.Result) {
          try {
            const id = (JSON.parse(new TextDecoder().decode(frame.subarray(2))) as { id?: string }).id;
            const f = this.forwards.get(`${m.s}:${id}`);
            if (f) {
              clearTimeout(f.timer);
              this.forwards.delete(`${m.s}:${id}`);
            }
          } catch {
            // A result we cannot read is still delivered; the client validates it.
          }
        }
        s?.send(frame);
        return;
      }
      case 'close':
        this.local.get(m.s)?.close(m.code);
        return;
      case 'diff':
        this.lastSeen = { epoch: m.epoch, seq: m.seq };
        for (const { doc, u } of m.docs) this.meeting.applyRemote(doc, b64.dec(u));
        return;
      default:
        return;
    }
  }
}

