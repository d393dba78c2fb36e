/**
 * One WebSocket connection: the hello handshake, frame limits and rate limits, decoding at the
 * boundary, dispatch to the meeting, token expiry and refresh. A catch-all around each frame ends
 * this session only.
 */
import crypto from 'node:crypto';
import {
  CLIENT_OPCODES,
  CloseCode,
  CloseReason,
  CommandEnvelopeSchema,
  HelloSchema,
  MediaRequestEnvelopeSchema,
  MIN_PROTOCOL_VERSION,
  Op,
  PROTOCOL_VERSION,
  decodeFrame,
  encodeJson,
  type CloseCodeValue,
  type Hello,
  type ServerEvent,
} from '../../shared/protocol/index.ts';
import { COLLABORATIVE_DOCS, type DocName } from '../../shared/docs.ts';
import type { SfuServerEvent } from '../../shared/media/signalling.ts';
import type { Logger } from '../log.ts';
import type { HubSocket, SocketHandler } from '../transport/socket.ts';
import type { SessionClaims } from '../auth/TokenService.ts';
import type { Meeting } from '../meeting/Meeting.ts';
import type { MeetingSession } from '../meeting/MeetingSession.ts';
import { RateLimiter } from './RateLimiter.ts';
import type { Hub } from './Hub.ts';

type State = 'hello' | 'joining' | 'open' | 'closed';

const MAX_QUEUED_WHILE_JOINING = 64;
/** A connection that has not said hello by then is closed (it holds a slot and a token check for nothing). */
export const HELLO_TIMEOUT_MS = 10_000;

/** A connected, authenticated client. */
export class Session implements SocketHandler, MeetingSession {
  readonly awarenessClientId = crypto.randomInt(1, 2 ** 31 - 1);
  readonly writableDocs: readonly DocName[];
  private state: State = 'hello';
  private meeting: Meeting | null = null;
  private readonly queued: Uint8Array[] = [];
  private readonly limiter: RateLimiter;
  private expiryTimer: NodeJS.Timeout | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private helloTimer: NodeJS.Timeout | null;
  hello: Hello | null = null;
  readonly log: Logger;

  constructor(
    private readonly socket: HubSocket,
    private claims: SessionClaims,
    private readonly hub: Hub,
  ) {
    this.log = hub.log.child({ meeting: claims.meetingId, user: claims.userId, remote: socket.remote });
    this.limiter = new RateLimiter(hub.config.limits.rateFramesPerSecond, hub.config.limits.rateFramesBurst);
    this.writableDocs = claims.role === 'organizer' ? [...COLLABORATIVE_DOCS] : [];
    this.armExpiry();
    this.helloTimer = setTimeout(() => {
      if (this.state === 'hello') this.refuse(CloseCode.ProtocolViolation, { why: 'no hello in time' });
    }, HELLO_TIMEOUT_MS);
    this.log.debug('session opened');
  }

  get userId(): string {
    return this.claims.userId;
  }
  get name(): string {
    return this.claims.name;
  }
  get role(): SessionClaims['role'] {
    return this.claims.role;
  }
  get rows(): readonly string[] {
    return this.claims.rows;
  }
  get meetingId(): string {
    return this.claims.meetingId;
  }
  get tokenExpiresAt(): number {
    return this.claims.exp * 1000;
  }

  // ---- socket events -----------------------------------------------------------------------

  onMessage(data: Uint8Array): void {
    if (this.state === 'closed') return;
    try {
      this.receive(data);
    } catch (err) {
      this.log.error({ err }, 'session failed while handling a frame');
      this.close(CloseCode.InternalError);
    }
  }

  onClose(code: number): void {
    this.hub.metrics.closes.inc({ code: String(code) });
    this.teardown();
  }

  onDrain(): void {}

  private receive(data: Uint8Array): void {
    this.hub.metrics.received(data[0] ?? -1);
    if (data.byteLength > this.hub.config.limits.maxFrameBytes) return this.refuse(CloseCode.FrameTooLarge, { bytes: data.byteLength });
    if (!this.limiter.take()) return this.refuse(CloseCode.RateLimited, {});
    if (this.state === 'joining') {
      if (this.queued.length >= MAX_QUEUED_WHILE_JOINING) return this.refuse(CloseCode.RateLimited, { queued: this.queued.length });
      this.queued.push(data.slice());
      return;
    }
    const frame = decodeFrame(data);
    if ('error' in frame) return this.refuse(CloseCode.BadFrame, frame);
    if (!CLIENT_OPCODES.has(frame.op)) return this.refuse(CloseCode.ProtocolViolation, { op: frame.op, why: 'server-only opcode' });
    if (this.state === 'hello') {
      if (frame.op !== Op.Hello) return this.refuse(CloseCode.ProtocolViolation, { why: 'expected hello first' });
      const hello = HelloSchema.safeParse(frame.json);
      if (!hello.success) return this.refuse(CloseCode.BadFrame, { why: 'invalid hello' });
      if (hello.data.v < MIN_PROTOCOL_VERSION) return this.refuse(CloseCode.VersionTooOld, { v: hello.data.v });
      if (hello.data.v > PROTOCOL_VERSION) return this.refuse(CloseCode.VersionTooNew, { v: hello.data.v });
      this.hello = hello.data;
      this.state = 'joining';
      if (this.helloTimer) clearTimeout(this.helloTimer);
      this.log.debug({ session: hello.data.session, generation: hello.data.generation }, 'hello');
      void this.hub.join(this).then((m) => this.joined(m));
      return;
    }
    const meeting = this.meeting;
    if (!meeting) return;
    switch (frame.op) {
      case Op.Hello:
        return this.refuse(CloseCode.ProtocolViolation, { why: 'hello twice' });
      case Op.Sync: {
        const code = meeting.onSync(this, frame.doc, frame.message);
        if (code !== null) this.refuse(code as CloseCodeValue, { doc: frame.doc });
        return;
      }
      case Op.Awareness: {
        const code = meeting.onAwareness(this, frame.update);
        if (code !== null) this.refuse(code as CloseCodeValue, { why: 'awareness' });
        return;
      }
      case Op.Command: {
        const env = CommandEnvelopeSchema.safeParse(frame.json);
        if (!env.success) return this.refuse(CloseCode.BadFrame, { why: 'invalid command envelope' });
        meeting.handleCommand(this, env.data);
        return;
      }
      case Op.MediaRequest: {
        const env = MediaRequestEnvelopeSchema.safeParse(frame.json);
        if (!env.success) return this.refuse(CloseCode.BadFrame, { why: 'invalid media request envelope' });
        this.hub.media.handle(this, meeting, env.data.id, env.data.request).then(
          (r) => this.send(encodeJson(Op.MediaResponse, r)),
          (err: unknown) => {
            this.log.error({ err }, 'media request failed');
            this.close(CloseCode.InternalError);
          },
        );
        return;
      }
      default:
        return this.refuse(CloseCode.ProtocolViolation, { op: frame.op });
    }
  }

  private joined(meeting: Meeting | number): void {
    if (this.state === 'closed') return;
    if (typeof meeting === 'number') return this.refuse(meeting as CloseCodeValue, { why: 'join refused' });
    this.meeting = meeting;
    this.state = 'open';
    this.log.debug('joined');
    this.send(
      encodeJson(Op.Welcome, {
        v: PROTOCOL_VERSION,
        meetingId: meeting.id,
        userId: this.userId,
        name: this.name,
        role: this.role,
        rows: [...this.rows],
        docs: Object.keys(meeting.docs),
        writableDocs: [...this.writableDocs],
        awarenessClientId: this.awarenessClientId,
        tokenExpiresAt: this.tokenExpiresAt,
        serverTime: Date.now(),
        media: this.hub.mediaStatus(),
      }),
    );
    meeting.addSession(this);
    for (const data of this.queued.splice(0)) {
      if (this.state !== 'open') break;
      this.onMessage(data);
    }
  }

  // ---- sending and closing -----------------------------------------------------------------

  /** Sends a frame; a socket over its backpressure limit is closed so that it resyncs instead of forking. */
  send(frame: Uint8Array): void {
    if (this.state === 'closed') return;
    const status = this.socket.send(frame);
    this.hub.metrics.sent(frame.byteLength);
    if (status === 'dropped' || (status === 'backpressure' && this.socket.bufferedAmount() > this.hub.config.limits.maxBackpressureBytes)) {
      this.log.warn({ buffered: this.socket.bufferedAmount() }, 'slow consumer');
      this.close(CloseCode.SlowConsumer);
    }
  }

  /** Forwards an SFU event to this session. */
  mediaEvent(e: SfuServerEvent): void {
    this.event({ type: 'media', event: e });
  }

  /** Sends a server event. */
  event(e: ServerEvent): void {
    this.send(encodeJson(Op.Event, e));
  }

  private refuse(code: CloseCodeValue, detail: object): void {
    this.log.warn({ code, reason: CloseReason[code], ...detail }, 'closing session');
    this.close(code);
  }

  /** Closes the session with a named code. Idempotent. */
  close(code: number): void {
    if (this.state === 'closed') return;
    this.teardown();
    const reason = (CloseReason as Record<number, string>)[code] ?? 'closed';
    this.socket.close(code, reason);
  }

  private teardown(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.meeting?.removeSession(this);
    if (this.meeting) this.hub.media.sessionClosed(this);
    this.hub.sessionClosed(this);
  }

  // ---- token lifetime ----------------------------------------------------------------------

  private armExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    const left = this.tokenExpiresAt - Date.now();
    this.expiryTimer = setTimeout(() => this.close(CloseCode.AuthExpired), Math.max(0, Math.min(left, 2 ** 31 - 1)));
    const refreshIn = left - this.hub.config.tokenRefreshBeforeSeconds * 1000;
    if (refreshIn > 0) this.refreshTimer = setTimeout(() => void this.refresh(), Math.min(refreshIn, 2 ** 31 - 1));
  }

  /** Pushes a fresh token if the participant may still be here; re-checks the role in storage. */
  private async refresh(): Promise<void> {
    const next = await this.hub.refreshClaims(this.claims);
    if (this.state === 'closed') return;
    if (!next) return this.close(CloseCode.Forbidden);
    this.claims = next.claims;
    this.event({ type: 'token', token: next.token, expiresAt: next.claims.exp * 1000 });
    this.armExpiry();
  }
}
