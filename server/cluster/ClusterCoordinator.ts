/**
 * The hub's side of the cluster: decides whether this hub owns or mirrors a meeting (leases),
 * keeps owned leases renewed and gives a meeting up when its lease is lost, promotes a replica when
 * the owner disappears, and routes messages addressed to this hub to the right meeting.
 */
import type { Logger } from '../log.ts';
import type { Meeting } from '../meeting/Meeting.ts';
import type { MeetingSession } from '../meeting/MeetingSession.ts';
import type { RedisLog } from '../storage/RedisLog.ts';
import { Channels, LEASE_MS, type Cluster } from './Cluster.ts';
import { MeetingLink } from './MeetingLink.ts';
import type { ClusterMetrics } from './metrics.ts';

/** What the coordinator asks of the hub. */
export interface CoordinatorHooks {
  /** Closes a loaded meeting's sessions (they reconnect) and drops it from memory. */
  evict(m: Meeting): Promise<void>;
  /** Loads a meeting (as owner, now that this hub holds its lease). */
  load(id: string): Promise<unknown>;
  loaded(id: string): Meeting | undefined;
}

interface Attached {
  link: MeetingLink;
  timer: NodeJS.Timeout;
}

/** Ownership and routing for the meetings of one hub. */
export class ClusterCoordinator {
  private readonly attached = new Map<string, Attached>();
  /** Leases acquired while promoting a replica, used by the next load. */
  private readonly pendingEpochs = new Map<string, number>();
  private unsubscribeHub: (() => Promise<void>) | null = null;

  constructor(
    readonly cluster: Cluster,
    private readonly redisLog: RedisLog,
    private readonly metrics: ClusterMetrics,
    private readonly log: Logger,
    private readonly hooks: CoordinatorHooks,
  ) {}

  /** Listens on this hub's own channel; resyncs replicas when Redis comes back. */
  async start(): Promise<void> {
    await this.cluster.ready();
    this.unsubscribeHub = await this.cluster.subscribe(Channels.hub(this.cluster.instanceId), (m) => {
      if ('mid' in m) this.attached.get(m.mid)?.link.onHubMessage(m);
    });
    this.cluster.onReconnect = () => {
      for (const a of this.attached.values()) a.link.requestDiff();
    };
  }

  /** Owner with a fresh epoch, or replica. */
  async placement(id: string): Promise<{ mode: 'owner'; epoch: number } | { mode: 'replica' }> {
    const pending = this.pendingEpochs.get(id);
    this.pendingEpochs.delete(id);
    const epoch = pending ?? (await this.cluster.acquire(id));
    if (epoch === null) return { mode: 'replica' };
    this.redisLog.setEpoch(id, epoch);
    return { mode: 'owner', epoch };
  }

  /** Connects a freshly loaded meeting to the cluster. */
  async attach(m: Meeting, epoch: number | null): Promise<void> {
    const link = new MeetingLink(m, this.cluster, epoch, m.log, this.metrics);
    m.cluster = link;
    await link.start();
    const timer = epoch !== null ? setInterval(() => void this.renew(m, epoch), LEASE_MS / 3) : setInterval(() => void this.watchOwner(m), LEASE_MS / 2);
    this.attached.set(m.id, { link, timer });
    this.updateGauges();
    m.log.info({ mode: epoch === null ? 'replica' : 'owner', epoch }, 'meeting joined the cluster');
  }

  /** Disconnects a meeting being unloaded; an owner gives its lease back. */
  async detach(m: Meeting): Promise<void> {
    const a = this.attached.get(m.id);
    if (!a || a.link !== m.cluster) return;
    this.attached.delete(m.id);
    clearInterval(a.timer);
    await a.link.stop();
    if (a.link.epoch !== null) {
      this.redisLog.setEpoch(m.id, null);
      await this.cluster.release(m.id, a.link.epoch);
    }
    this.updateGauges();
  }

  /** An owner stays loaded while replicas on other hubs still use it. */
  keepLoaded(m: Meeting, idleMs: number): boolean {
    const a = this.attached.get(m.id);
    return !!a && a.link.isOwner && Date.now() - a.link.lastRemoteActivity < Math.max(idleMs, 2 * LEASE_MS);
  }

  /** A local session left one of the meetings. */
  sessionClosed(meetingId: string, s: MeetingSession): void {
    this.attached.get(meetingId)?.link.sessionClosed(s);
  }

  private async renew(m: Meeting, epoch: number): Promise<void> {
    if (await this.cluster.renew(m.id, epoch)) {
      this.metrics.leaseRenewals.inc();
      return;
    }
    // Lost: a pause (GC, SIGSTOP) or a partition let the lease expire; someone else may own it now.
    this.metrics.leaseLosses.inc();
    m.log.warn({ epoch }, 'lease lost; giving the meeting up (clients reconnect)');
    await this.hooks.evict(m);
  }

  private async watchOwner(m: Meeting): Promise<void> {
    if (this.hooks.loaded(m.id) !== m) return;
    const owner = await this.cluster.owner(m.id);
    if (owner) return;
    const epoch = await this.cluster.acquire(m.id).catch(() => null);
    if (epoch === null) return;
    m.log.warn({ epoch }, 'owner gone; this hub takes the meeting over');
    this.pendingEpochs.set(m.id, epoch);
    await this.hooks.evict(m);
    await this.hooks.load(m.id);
  }

  private updateGauges(): void {
    let owned = 0;
    for (const a of this.attached.values()) if (a.link.isOwner) owned += 1;
    this.metrics.owned.set(owned);
    this.metrics.replicas.set(this.attached.size - owned);
  }

  /** Tells the owner (wherever it is) that the roster or register changed in storage. */
  rosterChanged(meetingId: string): void {
    void this.cluster.publish(Channels.owner(meetingId), { k: 'roster' });
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    await this.unsubscribeHub?.();
    this.cluster.close();
  }
}

