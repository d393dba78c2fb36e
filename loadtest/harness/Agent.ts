/**
 * The load-generating side of a worker thread: a share of the run's clients and the scenario
 * steps the main thread asks for (connect, heartbeat, chat burst, vote storm, reconnect storm,
 * fan-out). Each step resolves when done; measurements stream to the main thread through the
 * Recorder once a second.
 */
import { MarkerKind, markerText, type Marker } from '../scenarios/markers.ts';
import { stormChoice } from '../scenarios/definitions.ts';
import { isFinalTally, openQuestion, updateHasFinalTally } from '../scenarios/votes.ts';
import { LoadClient, SharedReplicas, type ClientSpec } from './LoadClient.ts';
import { MEETING_DOCS } from '../scenarios/wire.ts';
import { HocuspocusClient } from './HocuspocusClient.ts';
import { Recorder } from './Recorder.ts';
import { nowMs, sleep } from './clock.ts';

/** Latency names recorded by the agent (milliseconds). */
export const M = {
  connect: 'join.connect',
  welcome: 'join.welcome',
  synced: 'join.synced',
  chatAck: 'chat.ack',
  chatDelivery: 'chat.delivery',
  annotationAck: 'annotation.ack',
  annotationDelivery: 'annotation.delivery',
  ballotAck: 'vote.ballot-ack',
  resync: 'reconnect.resync',
  rewelcome: 'reconnect.welcome',
  fanout: 'fanout.delivery',
} as const;

type AnyClient = LoadClient | HocuspocusClient;

/** Per-client receive counts, by marker kind. */
interface Received {
  c: number;
  a: number;
  f: number;
}

/** Init arguments: which server the clients talk to, and who they are. */
export interface InitArgs {
  server: 'hub' | 'hocuspocus';
  /** Hocuspocus document name. */
  docName?: string;
  clients: ClientSpec[];
  /** Replicate every document once per room in this worker (see SharedReplicas). */
  sharedReplicas?: boolean;
}

/** One worker's share of the load. */
export class Agent {
  readonly rec = new Recorder();
  private clients: AnyClient[] = [];
  private received = new Map<number, Received>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private fanoutWarmupSeq = 0;
  private vote: {
    windowMs: number;
    cast: Set<number>;
    seenOpenAt: Map<number, [number, number]>;
    tallySeenAt: Map<number, [number, number]>;
    /** The open question each client saw (rooms have their own). */
    questionOf: Map<number, string>;
    answers: Promise<void>[];
    firstCastAt: number;
    lastAckAt: number;
  } | null = null;

  init(a: InitArgs): number {
    const shared = new Map<number, SharedReplicas>();
    this.clients = a.clients.map((spec) => {
      if (a.server === 'hocuspocus') return new HocuspocusClient(spec, a.docName ?? 'loadtest');
      if (!a.sharedReplicas) return new LoadClient(spec);
      let room = shared.get(spec.room);
      if (!room) shared.set(spec.room, (room = new SharedReplicas(MEETING_DOCS)));
      return new LoadClient(spec, {}, room);
    });
    for (const c of this.clients) {
      this.received.set(c.spec.idx, { c: 0, a: 0, f: 0 });
      const hooks = {
        marker: (cl: AnyClient, m: Marker, at: number) => this.onMarker(cl, m, at),
        unexpectedClose: (cl: AnyClient, code: number, reason: string) => this.rec.error('close', `client ${cl.spec.userId}: ${code} ${reason}`),
        replicaChanged: (cl: AnyClient, doc: string, at: number) => this.onReplicaChanged(cl, doc, at),
        rawUpdate: (cl: AnyClient, doc: string, update: Uint8Array, at: number) => this.onRawUpdate(cl, doc, update, at),
      };
      c.hooks = hooks;
    }
    return this.clients.length;
  }

  private onMarker(c: AnyClient, m: Marker, at: number): void {
    const r = this.received.get(c.spec.idx);
    if (!r) return;
    if (m.kind === MarkerKind.Chat) {
      r.c += 1;
      if (m.sender !== c.spec.idx) this.rec.observe(M.chatDelivery, at - m.sentAt);
    } else if (m.kind === MarkerKind.Annotation) {
      r.a += 1;
      if (m.sender !== c.spec.idx) this.rec.observe(M.annotationDelivery, at - m.sentAt);
    } else if (m.kind === MarkerKind.Fanout) {
      r.f += 1;
      if (m.seq >= this.fanoutWarmupSeq) this.rec.observe(M.fanout, at - m.sentAt);
    }
  }

  /**
   * Connects every client at `rate` per second (this worker's share), with at most `maxInFlight`
   * joins not yet synced (0: no cap); resolves when all are synced or failed.
   */
  async connect(a: { rate: number; timeoutMs: number; presence: boolean; maxInFlight?: number }): Promise<{ connected: number; failed: number }> {
    const gap = a.rate > 0 ? 1000 / a.rate : 0;
    const start = nowMs();
    let failed = 0;
    let inFlight = 0;
    const attempts: Promise<void>[] = [];
    for (const [i, c] of this.clients.entries()) {
      const due = start + i * gap;
      const wait = due - nowMs();
      if (wait > 1) await sleep(wait);
      while (a.maxInFlight && inFlight >= a.maxInFlight) await sleep(2);
      if (c instanceof LoadClient && a.presence) c.enablePresence();
      inFlight += 1;
      const abrupt = (msg: string) => this.rec.error('abrupt-close', `${c.spec.userId}: ${msg} (reconnected)`);
      attempts.push(
        (c instanceof LoadClient ? c.connectRetrying(a.timeoutMs, abrupt) : c.connect(a.timeoutMs)).then(
          (t) => {
            inFlight -= 1;
            this.rec.observe(M.connect, t.open - t.start);
            this.rec.observe(M.welcome, t.welcome - t.open);
            this.rec.observe(M.synced, t.synced - t.start);
            this.rec.inc('join.ok');
          },
          (err: unknown) => {
            inFlight -= 1;
            failed += 1;
            this.rec.error('connect', `${c.spec.userId}: ${err instanceof Error ? err.message : String(err)}`);
          },
        ),
      );
    }
    await Promise.all(attempts);
    return { connected: this.clients.length - failed, failed };
  }

  /** Starts (intervalMs > 0) or stops the awareness heartbeat of every client, spread evenly over the interval. */
  heartbeat(a: { intervalMs: number }): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    if (a.intervalMs <= 0) return;
    const hubClients = this.clients.filter((c): c is LoadClient => c instanceof LoadClient);
    if (hubClients.length === 0) return;
    const tick = 100;
    const perTick = hubClients.length / (a.intervalMs / tick);
    let carry = 0;
    let next = 0;
    this.heartbeatTimer = setInterval(() => {
      carry += perTick;
      for (; carry >= 1; carry -= 1) {
        const c = hubClients[next % hubClients.length]!;
        next += 1;
        if (c.isSynced) {
          c.sendPresence();
          this.rec.inc('presence.sent');
        }
      }
    }, tick);
  }

  /** The chat and annotation burst: `rates[room]` messages per second from this worker's clients of that room. */
  async chat(a: { rates: Record<number, number>; durationMs: number; annotationShare: number; chars: number; docId: string }): Promise<Record<number, { sent: number; ok: number; okChat: number; okAnnotation: number }>> {
    const byRoom = new Map<number, LoadClient[]>();
    for (const c of this.clients) {
      if (!(c instanceof LoadClient) || c.spec.role !== 'voter') continue;
      const list = byRoom.get(c.spec.room) ?? [];
      list.push(c);
      byRoom.set(c.spec.room, list);
    }
    const out: Record<number, { sent: number; ok: number; okChat: number; okAnnotation: number }> = {};
    const answers: Promise<void>[] = [];
    const start = nowMs();
    let seq = 0;
    const rooms = [...byRoom.entries()].map(([room, list]) => ({ room, list, rate: a.rates[room] ?? 0, sent: 0, next: 0 }));
    for (const r of rooms) out[r.room] = { sent: 0, ok: 0, okChat: 0, okAnnotation: 0 };
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = nowMs() - start;
        const t = Math.min(elapsed, a.durationMs);
        for (const r of rooms) {
          const due = Math.floor((t * r.rate) / 1000) - r.sent;
          for (let k = 0; k < due; k++) {
            // Clients whose join failed (counted as errors) do not post.
            let c = r.list[r.next % r.list.length]!;
            for (let tries = 0; !c.isSynced && tries < r.list.length; tries++) c = r.list[(r.next += 1) % r.list.length]!;
            r.next += 1;
            r.sent += 1;
            seq += 1;
            const stats = out[r.room]!;
            stats.sent += 1;
            const annotation = (seq * 0.6180339887) % 1 < a.annotationShare;
            const text = markerText(annotation ? MarkerKind.Annotation : MarkerKind.Chat, r.room, c.spec.idx, seq, nowMs(), a.chars);
            const p = annotation
              ? c.command('annotation.add', { docId: a.docId, page: 1 + (seq % 20), x: 0.5, y: 0.5, text })
              : c.command('chat.post', { text });
            answers.push(
              p.then((ans) => {
                if (ans.ok) {
                  stats.ok += 1;
                  if (annotation) stats.okAnnotation += 1;
                  else stats.okChat += 1;
                  this.rec.observe(annotation ? M.annotationAck : M.chatAck, ans.ms);
                } else this.rec.error('command', `${annotation ? 'annotation.add' : 'chat.post'}: ${ans.error.code} ${ans.error.message}`);
              }),
            );
          }
        }
        if (elapsed >= a.durationMs) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    await Promise.all(answers);
    return out;
  }

  /**
   * Checks that every client received every acknowledged message of its room exactly once
   * (`expected[room]` = [chat, annotations]); sampled full replicas are also read through Yjs.
   */
  verifyDeliveries(a: { expected: Record<number, [number, number]> }): { clients: number; missing: number; duplicates: number; replicasChecked: number; replicasDiverged: number } {
    let missing = 0;
    let duplicates = 0;
    let replicasChecked = 0;
    let replicasDiverged = 0;
    for (const c of this.clients) {
      // A client whose join failed is already counted as an error; it cannot have received anything.
      if (!c.isSynced) continue;
      const exp = a.expected[c.spec.room] ?? [0, 0];
      const r = this.received.get(c.spec.idx) ?? { c: 0, a: 0, f: 0 };
      const got = r.c + r.a;
      const want = exp[0] + exp[1];
      if (got < want) missing += want - got;
      if (got > want) duplicates += got - want;
      if (c instanceof LoadClient && c.docs.has('chat') && c.docs.has('annotations')) {
        replicasChecked += 1;
        const chat = c.docs.get('chat')!.getArray<{ text?: string }>('messages').toArray().filter((m) => m.text?.startsWith('#LT:')).length;
        const ann = [...c.docs.get('annotations')!.getMap<{ text?: string }>('annotations').values()].filter((m) => m.text?.startsWith('#LT:')).length;
        if (chat !== exp[0] || ann !== exp[1]) {
          replicasDiverged += 1;
          this.rec.error('replica', `${c.spec.userId}: replica holds ${chat} chat / ${ann} annotations, expected ${exp[0]} / ${exp[1]}`);
        }
      }
    }
    if (missing > 0) this.rec.error('missing', `${missing} deliveries missing in this worker`);
    if (duplicates > 0) this.rec.error('duplicate', `${duplicates} deliveries duplicated in this worker`);
    return { clients: this.clients.length, missing, duplicates, replicasChecked, replicasDiverged };
  }

  // ---- vote storm ---------------------------------------------------------------------------

  /** Arms every voter: on seeing an open question in its agenda replica, it casts within `windowMs`. */
  voteArm(a: { windowMs: number }): void {
    this.vote = { windowMs: a.windowMs, cast: new Set(), seenOpenAt: new Map(), tallySeenAt: new Map(), questionOf: new Map(), answers: [], firstCastAt: Infinity, lastAckAt: 0 };
    // A question may already be open (re-armed run): check the replicas now.
    for (const c of this.clients) if (c instanceof LoadClient) this.onReplicaChanged(c, 'agenda', nowMs());
  }

  private onReplicaChanged(c: AnyClient, doc: string, at: number): void {
    const v = this.vote;
    if (!v || !(c instanceof LoadClient)) return;
    if (doc === 'agenda' && c.spec.role === 'voter' && !v.cast.has(c.spec.idx)) {
      const agenda = c.docs.get('agenda');
      if (!agenda) return;
      const q = openQuestion(agenda.getMap<unknown>('questions').values());
      if (q) {
        v.cast.add(c.spec.idx);
        v.seenOpenAt.set(c.spec.idx, [c.spec.room, at]);
        v.questionOf.set(c.spec.idx, q.id);
        const questionId = q.id;
        const version = q.version;
        const delay = Math.random() * v.windowMs;
        v.answers.push(
          sleep(delay).then(async () => {
            const sent = nowMs();
            if (sent < v.firstCastAt) v.firstCastAt = sent;
            const ans = await c.command('vote.cast', { questionId, version, choice: stormChoice(c.spec.member) });
            v.lastAckAt = Math.max(v.lastAckAt, nowMs());
            if (ans.ok) {
              this.rec.observe(M.ballotAck, ans.ms);
              this.rec.inc('vote.ballots');
            } else this.rec.error('ballot', `${c.spec.userId}: ${ans.error.code} ${ans.error.message}`);
          }),
        );
      }
    } else if (doc === 'tallies' && !v.tallySeenAt.has(c.spec.idx)) {
      const questionId = v.questionOf.get(c.spec.idx);
      if (!questionId) return;
      if (isFinalTally(c.docs.get('tallies')?.getMap<unknown>('tallies').get(questionId))) v.tallySeenAt.set(c.spec.idx, [c.spec.room, at]);
    }
  }

  /**
   * Voters without a tallies replica recognize the final tally in the raw update: the record of
   * their question with status "closed" and visible (see scenarios/votes.ts).
   */
  private onRawUpdate(c: AnyClient, doc: string, update: Uint8Array, at: number): void {
    const v = this.vote;
    if (!v || doc !== 'tallies' || !(c instanceof LoadClient) || c.docs.has('tallies') || v.tallySeenAt.has(c.spec.idx)) return;
    const questionId = v.questionOf.get(c.spec.idx);
    if (!questionId) return;
    if (updateHasFinalTally(update, questionId)) v.tallySeenAt.set(c.spec.idx, [c.spec.room, at]);
  }

  /** Waits until every voter saw the open vote (or `timeoutMs` passed), then for every ballot's answer. */
  async voteCast(a: { timeoutMs: number }): Promise<{ voters: number; armed: number; firstCastAt: number; lastAckAt: number }> {
    const v = this.vote;
    if (!v) return { voters: 0, armed: 0, firstCastAt: 0, lastAckAt: 0 };
    const voters = this.clients.filter((c) => c.spec.role === 'voter' && c.isSynced).length;
    const deadline = nowMs() + a.timeoutMs;
    while (v.cast.size < voters && nowMs() < deadline) await sleep(10);
    await Promise.all(v.answers);
    return { voters, armed: v.cast.size, firstCastAt: v.firstCastAt, lastAckAt: v.lastAckAt };
  }

  /** [room, time] pairs of when each client saw the vote open and the final tally (clock.ts ms); disarms. */
  voteResults(): { seenOpenAt: [number, number][]; tallySeenAt: [number, number][]; clients: number } {
    const v = this.vote;
    this.vote = null;
    return { seenOpenAt: v ? [...v.seenOpenAt.values()] : [], tallySeenAt: v ? [...v.tallySeenAt.values()] : [], clients: this.clients.length };
  }

  /** Polls until every client saw the final tally or `timeoutMs` passed. */
  async waitTallies(a: { timeoutMs: number }): Promise<number> {
    const deadline = nowMs() + a.timeoutMs;
    const live = this.clients.filter((c) => c.isSynced).length;
    while (this.vote && this.vote.tallySeenAt.size < live && nowMs() < deadline) await sleep(10);
    return this.vote?.tallySeenAt.size ?? 0;
  }

  // ---- reconnect storm ----------------------------------------------------------------------

  /** Drops every connection at once and reconnects each immediately; measures the time to a full resync. */
  async storm(a: { timeoutMs: number }): Promise<{ resynced: number; failed: number; lastSyncedAt: number; firstDropAt: number }> {
    const hubClients = this.clients.filter((c): c is LoadClient => c instanceof LoadClient);
    const firstDropAt = nowMs();
    const drops = hubClients.map((c) => {
      const at = nowMs();
      c.drop();
      return at;
    });
    let failed = 0;
    let lastSyncedAt = 0;
    await Promise.all(
      hubClients.map((c, i) =>
        c.connectRetrying(a.timeoutMs, (msg) => this.rec.error('abrupt-close', `${c.spec.userId}: ${msg} (reconnected)`)).then(
          (t) => {
            this.rec.observe(M.resync, t.synced - drops[i]!);
            this.rec.observe(M.rewelcome, t.welcome - drops[i]!);
            if (t.synced > lastSyncedAt) lastSyncedAt = t.synced;
          },
          (err: unknown) => {
            failed += 1;
            this.rec.error('reconnect', `${c.spec.userId}: ${err instanceof Error ? err.message : String(err)}`);
          },
        ),
      ),
    );
    return { resynced: hubClients.length - failed, failed, lastSyncedAt, firstDropAt };
  }

  // ---- fan-out ------------------------------------------------------------------------------

  /** Resets receive counts; latencies of markers with seq below `warmupSeq` are not recorded. */
  fanoutArm(a: { warmupSeq: number }): void {
    this.fanoutWarmupSeq = a.warmupSeq;
    for (const r of this.received.values()) r.f = 0;
  }

  /** Counts missing and duplicated fan-out deliveries; sampled replicas must hold every update's text. */
  fanoutVerify(a: { expected: number; text: string }): { missing: number; duplicates: number; replicasChecked: number } {
    let missing = 0;
    let duplicates = 0;
    let replicasChecked = 0;
    for (const c of this.clients) {
      if (!c.isSynced) continue;
      const r = this.received.get(c.spec.idx)!;
      if (r.f < a.expected) missing += a.expected - r.f;
      if (r.f > a.expected) duplicates += r.f - a.expected;
    }
    for (const c of this.clients) {
      const doc = c instanceof LoadClient ? c.docs.get('drafts') : c.spec.replica.length > 0 ? c.doc : undefined;
      if (!doc) continue;
      replicasChecked += 1;
      const markers = doc.getText(a.text).toString().split('#LT:f:').length - 1;
      if (markers !== a.expected) this.rec.error('replica', `${c.spec.userId}: replica holds ${markers} updates, expected ${a.expected}`);
    }
    if (missing > 0) this.rec.error('missing', `${missing} fan-out deliveries missing in this worker`);
    if (duplicates > 0) this.rec.error('duplicate', `${duplicates} fan-out deliveries duplicated in this worker`);
    return { missing, duplicates, replicasChecked };
  }

  // ---- end ----------------------------------------------------------------------------------

  private lastFrames = 0;
  private lastBytes = 0;

  /** Adds the frames and bytes the clients received since the last call to the counters `frames.in` and `bytes.in`. */
  sampleTraffic(): void {
    let frames = 0;
    let bytes = 0;
    for (const c of this.clients) {
      frames += c.framesIn;
      bytes += c.bytesIn;
    }
    if (frames > this.lastFrames) this.rec.inc('frames.in', frames - this.lastFrames);
    if (bytes > this.lastBytes) this.rec.inc('bytes.in', bytes - this.lastBytes);
    this.lastFrames = frames;
    this.lastBytes = bytes;
  }

  /** Connections that are synced right now. */
  count(): { synced: number; total: number } {
    return { synced: this.clients.filter((c) => c.isSynced).length, total: this.clients.length };
  }

  /** Closes every client; resolves after a short grace so the closes reach the server. */
  async closeAll(): Promise<void> {
    this.heartbeat({ intervalMs: 0 });
    for (const c of this.clients) c.destroy();
    this.clients = [];
    this.received.clear();
    this.lastFrames = 0;
    this.lastBytes = 0;
    await sleep(100);
  }
}
