/**
 * The hub: authenticates connections, owns the loaded meetings, places sessions in them, unloads
 * idle meetings once their writes are durable, and shuts down gracefully.
 */
import { CloseCode } from '../../shared/protocol/index.ts';
import { ParticipantSchema, Layout } from '../../shared/docs.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { HubMetrics } from '../metrics.ts';
import type { Storage } from '../storage/Storage.ts';
import type { SessionClaims, TokenService } from '../auth/TokenService.ts';
import type { HubSocket } from '../transport/socket.ts';
import { Meeting, type MeetingOptions } from '../meeting/Meeting.ts';
import { Session } from './Session.ts';
import type { MediaService, MediaStatus } from '../media/MediaService.ts';
import type { MessageGateway } from '../messaging/MessageGateway.ts';
import { DevGateway } from '../messaging/DevGateway.ts';
import type { ClusterCoordinator } from '../cluster/ClusterCoordinator.ts';

const MAX_REMEMBERED_SESSIONS = 100_000;


/** The hub core, independent of the transport. */
export class Hub {
  private readonly meetings = new Map<string, Meeting>();
  private readonly loading = new Map<string, Promise<Meeting | null>>();
  private readonly unloadTimers = new Map<string, NodeJS.Timeout>();
  /** Live sessions by `userId:session`, with the generation that owns the key. */
  private readonly bySessionKey = new Map<string, Session>();
  /** Highest generation seen per session key, kept after close so a stale reconnect cannot take over. */
  private readonly generations = new Map<string, number>();
  private readonly sessions = new Set<Session>();
  private stopping = false;
  /** How the hub reaches people outside meetings (the development gateway unless app.ts configures another). */
  messages: MessageGateway;
  /** Cluster ownership and routing, when the hub runs with REDIS_URL. */
  coordinator: ClusterCoordinator | null = null;

  constructor(
    readonly config: Config,
    readonly storage: Storage,
    readonly tokens: TokenService,
    readonly log: Logger,
    readonly metrics: HubMetrics,
    readonly media: MediaService,
  ) {
    this.messages = new DevGateway(log.child({ component: 'messages' }));
  }

  private get meetingOptions(): MeetingOptions {
    return {
      maxDocBytes: this.config.limits.maxDocBytes,
      awarenessIntervalMs: this.config.awarenessIntervalMs,
      tallyIntervalMs: this.config.tallyIntervalMs,
      compactEveryUpdates: this.config.compactEveryUpdates,
      maxSpeakers: this.config.media.maxSpeakers,
      recentCommands: 10_000,
    };
  }

  mediaStatus(): MediaStatus {
    return this.media.status;
  }

  /** Checks a token at upgrade. Returns the claims, or the close code to refuse with. */
  async authenticate(token: string | null): Promise<{ ok: true; claims: SessionClaims } | { ok: false; code: number }> {
    if (this.stopping) return { ok: false, code: CloseCode.ServerShutdown };
    if (!token) return { ok: false, code: CloseCode.AuthInvalid };
    const v = await this.tokens.verify(token);
    if (!v.ok) return { ok: false, code: v.reason === 'expired' ? CloseCode.AuthExpired : CloseCode.AuthInvalid };
    return { ok: true, claims: v.claims };
  }

  /** Creates the session for an accepted socket. */
  openSession(socket: HubSocket, claims: SessionClaims): Session {
    const s = new Session(socket, claims, this);
    this.sessions.add(s);
    this.metrics.connections.set(this.sessions.size);
    return s;
  }

  /** Places a session (after its hello) in its meeting. Returns the meeting, or a close code. */
  async join(s: Session): Promise<Meeting | number> {
    const hello = s.hello;
    if (!hello) return CloseCode.ProtocolViolation;
    const key = `${s.userId}:${hello.session}`;
    if ((this.generations.get(key) ?? -1) > hello.generation) return CloseCode.SessionReplaced;
    this.generations.delete(key);
    this.generations.set(key, hello.generation);
    if (this.generations.size > MAX_REMEMBERED_SESSIONS) {
      const oldest = this.generations.keys().next().value;
      if (oldest !== undefined) this.generations.delete(oldest);
    }
    const current = this.bySessionKey.get(key);
    if (current && current !== s) current.close(CloseCode.SessionReplaced);
    this.bySessionKey.set(key, s);
    const meeting = await this.getMeeting(s.meetingId).catch((err: unknown) => {
      this.log.error({ err, meeting: s.meetingId }, 'meeting failed to load');
      return null;
    });
    if (!meeting) return CloseCode.MeetingNotFound;
    const p = ParticipantSchema.safeParse(Layout.people(meeting.docs.participants).get(s.userId));
    if (!p.success) return CloseCode.Forbidden;
    if (p.data.status === 'removed') return CloseCode.Forbidden;
    if (this.bySessionKey.get(key) !== s) return CloseCode.SessionReplaced;
    this.cancelUnload(meeting.id);
    return meeting;
  }

  /** Forgets a closed session. */
  sessionClosed(s: Session): void {
    this.sessions.delete(s);
    this.coordinator?.sessionClosed(s.meetingId, s);
    this.metrics.connections.set(this.sessions.size);
    if (s.hello) {
      const key = `${s.userId}:${s.hello.session}`;
      if (this.bySessionKey.get(key) === s) this.bySessionKey.delete(key);
    }
  }

  /** New claims and token for a session about to expire, or null if the participant may no longer be here. */
  async refreshClaims(c: SessionClaims): Promise<{ claims: SessionClaims; token: string } | null> {
    const rec = await this.storage.getParticipant(c.meetingId, c.userId);
    if (!rec || rec.role !== c.role) return null;
    const m = this.meetings.get(c.meetingId);
    const p = m ? ParticipantSchema.safeParse(Layout.people(m.docs.participants).get(c.userId)) : null;
    if (p?.success && p.data.status === 'removed') return null;
    const { token, exp } = await this.tokens.issue({ userId: c.userId, meetingId: c.meetingId, role: rec.role, name: c.name, rows: rec.rows });
    return { claims: { ...c, rows: rec.rows, exp }, token };
  }

  /** The loaded meeting, loading it from storage if needed; null if it does not exist. */
  async getMeeting(id: string): Promise<Meeting | null> {
    const loaded = this.meetings.get(id);
    if (loaded && !loaded.isBroken) return loaded;
    let p = this.loading.get(id);
    if (!p) {
      p = this.load(id).finally(() => this.loading.delete(id));
      this.loading.set(id, p);
    }
    return p;
  }

  private async load(id: string): Promise<Meeting | null> {
    const record = await this.storage.getMeeting(id);
    if (!record) return null;
    const log = this.log.child({ meeting: id });
    const placement = this.coordinator ? await this.coordinator.placement(id) : null;
    const mode = placement?.mode ?? 'owner';
    const m = await Meeting.load(record, this.storage, { ...this.meetingOptions, mode }, log, this.metrics);
    if (this.coordinator) await this.coordinator.attach(m, placement?.mode === 'owner' ? placement.epoch : null);
    m.onIdle = (mm) => this.scheduleUnload(mm);
    m.onChange = (docs) => {
      if (docs.includes('queue')) this.media.syncFloor(m);
    };
    this.meetings.set(id, m);
    this.metrics.meetings.set(this.meetings.size);
    log.info('meeting loaded');
    return m;
  }

  /** The loaded meeting, if any (HTTP handlers use this to act on live state). */
  loadedMeeting(id: string): Meeting | undefined {
    return this.meetings.get(id);
  }

  /** Number of meetings in memory. */
  get loadedCount(): number {
    return this.meetings.size;
  }

  private scheduleUnload(m: Meeting): void {
    this.cancelUnload(m.id);
    const delay = m.isBroken ? 0 : this.config.unloadIdleMs;
    this.unloadTimers.set(
      m.id,
      setTimeout(() => void this.unload(m), delay),
    );
  }

  private cancelUnload(id: string): void {
    const t = this.unloadTimers.get(id);
    if (t) clearTimeout(t);
    this.unloadTimers.delete(id);
  }

  /** Unloads a meeting after its pending writes finished (never before: see ARCHITECTURE failure mode 1). */
  private async unload(m: Meeting): Promise<void> {
    this.unloadTimers.delete(m.id);
    if (m.sessions.size > 0 && !m.isBroken) return;
    if (!m.isBroken && this.coordinator?.keepLoaded(m, this.config.unloadIdleMs)) {
      this.scheduleUnload(m);
      return;
    }
    await this.evict(m);
  }

  /** Closes a meeting's sessions (after its writes are durable) and drops it from memory. */
  async evict(m: Meeting): Promise<void> {
    this.cancelUnload(m.id);
    await m.close(CloseCode.ServerShutdown);
    await this.coordinator?.detach(m);
    this.media.closeRoom(m.id);
    if (this.meetings.get(m.id) === m) this.meetings.delete(m.id);
    this.metrics.meetings.set(this.meetings.size);
    m.log.info('meeting unloaded');
  }

  /** The roster or register of a meeting changed in storage: bring its live documents up to date. */
  rosterChanged(meetingId: string, update: Parameters<Meeting['refreshRoster']>[0]): void {
    const m = this.meetings.get(meetingId);
    if (m && !m.isReplica) m.refreshRoster(update);
    else this.coordinator?.rosterChanged(meetingId);
  }

  /** Graceful shutdown: refuse new sessions, close sessions with a named code, flush every meeting. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const t of this.unloadTimers.values()) clearTimeout(t);
    this.unloadTimers.clear();
    for (const s of [...this.sessions]) s.close(CloseCode.ServerShutdown);
    await Promise.all([...this.meetings.values()].map((m) => this.evict(m)));
    this.meetings.clear();
    this.media.close();
    await this.coordinator?.stop();
  }
}
