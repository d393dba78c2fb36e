/**
 * Video for the hub: the mediasoup worker pool, one SFU room per meeting, SFU signalling requests
 * from sessions, and the floor and stage decisions of the meeting's documents applied to the room.
 * When the worker binary is missing the hub runs without video and says why.
 */
import { Layout, FloorSchema } from '../../shared/docs.ts';
import { sfuRequestSchema, type SfuServerEvent } from '../../shared/media/signalling.ts';
import type { MediaResponse } from '../../shared/protocol/index.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { loadMediasoupIfAvailable } from '../../sfu/workerBinary.ts';
import { WorkerPool } from '../../sfu/WorkerPool.ts';
import type { Room } from '../../sfu/Room.ts';
import { handleSfuRequest } from '../../sfu/signalling.ts';
import type { Meeting } from '../meeting/Meeting.ts';

/** Whether video works on this hub, and why not. */
export interface MediaStatus {
  enabled: boolean;
  reason?: string;
}

/** What the media service needs from a session. */
export interface MediaPeer {
  readonly userId: string;
  readonly name: string;
  readonly role: string;
  readonly meetingId: string;
  mediaEvent(e: SfuServerEvent): void;
}

/** The hub's media side. */
export class MediaService {
  private readonly rooms = new Map<string, Room>();
  /** The session that owns each user's media peer, per meeting (a newer session takes it over). */
  private readonly owners = new Map<string, MediaPeer>();

  private constructor(
    private readonly pool: WorkerPool | null,
    readonly status: MediaStatus,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  /** Starts the worker pool, or a disabled service with the reason. Never throws. */
  static async start(config: Config, log: Logger): Promise<MediaService> {
    if (!config.media.enabled) return new MediaService(null, { enabled: false, reason: 'video is turned off on this hub (MEDIA=off)' }, config, log);
    const loaded = await loadMediasoupIfAvailable(config.media.worker);
    if (!loaded.ok) {
      log.warn({ reason: loaded.reason }, 'video disabled');
      return new MediaService(null, { enabled: false, reason: `video is unavailable on this hub: ${loaded.reason}` }, config, log);
    }
    try {
      const pool = await WorkerPool.create(loaded.mediasoup, {
        numWorkers: config.media.workers,
        rtcMinPort: config.media.rtcMinPort,
        rtcMaxPort: config.media.rtcMaxPort,
        logger: log.child({ component: 'sfu' }),
        room: { transport: { listenIp: config.media.listenIp, announcedIp: config.media.announcedIp } },
      });
      pool.on('workerDied', (r) => log.error({ worker: r.workerIndex, pid: r.pid, error: r.error, rooms: r.affected.length }, 'mediasoup worker died; its peers reconnect media'));
      log.info({ workers: config.media.workers, binary: loaded.binary }, 'video enabled');
      return new MediaService(pool, { enabled: true }, config, log);
    } catch (err) {
      log.warn({ err }, 'video disabled: the worker pool failed to start');
      return new MediaService(null, { enabled: false, reason: `video is unavailable on this hub: ${err instanceof Error ? err.message : String(err)}` }, config, log);
    }
  }

  private room(meetingId: string): Room | null {
    if (!this.pool) return null;
    let room = this.rooms.get(meetingId);
    if (!room || room.closed) {
      room = this.pool.createRoom(meetingId);
      this.rooms.set(meetingId, room);
      room.onEvent((peerId, event) => this.owners.get(`${meetingId}:${peerId}`)?.mediaEvent(event));
    }
    return room;
  }

  /** Handles one SFU request frame from a session; joins the session's peer on first use. */
  async handle(peer: MediaPeer, meeting: Meeting, id: string, raw: unknown): Promise<MediaResponse> {
    const parsed = sfuRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { id, result: { ok: false, error: { code: 'invalidRequest', message: issue ? `${issue.path.join('.') || 'request'}: ${issue.message}` : 'invalid request' } } };
    }
    const room = this.room(peer.meetingId);
    const key = `${peer.meetingId}:${peer.userId}`;
    if (room && this.owners.get(key) !== peer) {
      this.owners.set(key, peer);
      room.join({ peerId: peer.userId, role: peer.role === 'organizer' ? 'organizer' : 'participant', displayName: peer.name });
      this.syncFloor(meeting);
    }
    const reply = await handleSfuRequest({ room, peerId: peer.userId, role: peer.role === 'organizer' ? 'organizer' : 'participant' }, parsed.data);
    if (parsed.data.type === 'leave' && this.owners.get(key) === peer) this.owners.delete(key);
    return { id, result: reply.result };
  }

  /** A session ended: its peer leaves the room unless a newer session owns it. */
  sessionClosed(peer: MediaPeer): void {
    const key = `${peer.meetingId}:${peer.userId}`;
    if (this.owners.get(key) !== peer) return;
    this.owners.delete(key);
    this.rooms.get(peer.meetingId)?.leave(peer.userId);
  }

  /** Applies the meeting's floor holders and pinned stage (queue document) to its room. */
  syncFloor(meeting: Meeting): void {
    const room = this.rooms.get(meeting.id);
    if (!room) return;
    const queue = meeting.docs.queue;
    const holders = [...Layout.floor(queue).values()].flatMap((v) => {
      const f = FloorSchema.safeParse(v);
      return f.success ? [f.data.userId] : [];
    });
    const r = room.setFloor(holders);
    if (!r.ok) this.log.error({ meeting: meeting.id, error: r.error }, 'floor refused by the SFU');
    const stage = Layout.stage(queue).get('pinned');
    room.setStage(typeof stage === 'string' ? stage : null);
  }

  /** Closes a meeting's room (the meeting unloaded). */
  closeRoom(meetingId: string): void {
    this.rooms.get(meetingId)?.close();
    this.rooms.delete(meetingId);
    for (const k of [...this.owners.keys()]) if (k.startsWith(`${meetingId}:`)) this.owners.delete(k);
  }

  /** Metrics of the pool, for /metrics. */
  async metrics(): Promise<unknown> {
    return this.pool ? this.pool.getMetrics({ bitrates: true }) : null;
  }

  /** Closes every room and worker. Idempotent. */
  close(): void {
    for (const id of [...this.rooms.keys()]) this.closeRoom(id);
    this.pool?.close();
  }
}
