/**
 * The live meeting as the interface sees it: a HubClient (the shared client library) plus reactive
 * snapshots of its Yjs replicas and presence. Components read the fields; they change state only
 * through `run` (commands) or, for organizers, the drafts document.
 */
import * as Y from 'yjs';
import { HubClient, type CommandOutcome, type ConnectionState } from '$shared/client/HubClient.ts';
import type { ArgsOf, CommandType, ResultOf, ServerEvent, Welcome } from '$shared/protocol/index.ts';
import {
  PresenceSchema,
  readAgenda,
  readAnnotations,
  readChat,
  readMeta,
  readParticipants,
  readQueue,
  readQuorum,
  readQuestions,
  Layout,
  TallyRecordSchema,
  type AgendaItem,
  type QuestionRecord,
  type TallyRecord,
  type Annotation,
  type ChatMessage,
  type DocName,
  type MeetingMeta,
  type Participant,
  type Presence,
  type Quorum,
} from '$shared/docs.ts';
import { browserSessionId, rememberTitle, updateToken, type StoredSession } from '../session.ts';
import { toasts } from '../ui/toasts.svelte.ts';
import { t } from '../i18n/index.svelte.ts';

/** What the interface shows about a failed command. */
export type Outcome<T> = CommandOutcome<T>;

/** The hub's WebSocket endpoint on the page's own origin. */
export function hubSocketUrl(loc: Location = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

/** A meeting this tab is connected to. */
export class MeetingStore {
  readonly client: HubClient;
  readonly meetingId: string;
  session: StoredSession;

  state = $state<ConnectionState>('connecting');
  online = $state(typeof navigator === 'undefined' ? true : navigator.onLine);
  pending = $state(0);
  lastClose = $state.raw<{ code: number; reason: string } | null>(null);
  welcome = $state.raw<Welcome | null>(null);
  synced = $state(false);

  meta = $state.raw<MeetingMeta | null>(null);
  agenda = $state.raw<AgendaItem[]>([]);
  people = $state.raw<Participant[]>([]);
  quorum = $state.raw<Quorum | null>(null);
  hands = $state.raw<ReturnType<typeof readQueue>['hands']>([]);
  floor = $state.raw<ReturnType<typeof readQueue>['floor']>([]);
  /** The participant the organizer pinned on everyone's stage, or null. */
  pinned = $state<string | null>(null);
  chat = $state.raw<ChatMessage[]>([]);
  annotations = $state.raw<Annotation[]>([]);
  presence = $state.raw<Presence[]>([]);
  questions = $state.raw<QuestionRecord[]>([]);
  /** Live tallies by question id. */
  tallies = $state.raw<ReadonlyMap<string, TallyRecord>>(new Map());

  private readonly unsubscribers: (() => void)[] = [];
  private detachAwareness: (() => void) | null = null;

  constructor(session: StoredSession, opts: { url?: string } = {}) {
    this.session = session;
    this.meetingId = session.meetingId;
    this.client = new HubClient({ url: opts.url ?? hubSocketUrl(), token: session.token, session: browserSessionId(session.meetingId), generation: Date.now() });

    this.unsubscribers.push(
      this.client.on('state', (s) => {
        this.state = s;
        this.pending = this.client.pendingCount;
        if (s !== 'open') this.synced = false;
        else void this.client.whenSynced().then(() => (this.synced = this.client.state === 'open'));
      }),
      this.client.on('close', (code, reason) => {
        this.lastClose = { code, reason };
        this.pending = this.client.pendingCount;
      }),
      this.client.on('welcome', (w) => {
        this.welcome = w;
        this.attachAwareness();
      }),
      this.client.on('event', (e) => this.onEvent(e)),
    );
    this.state = this.client.state;

    const watch = (name: DocName, read: () => void) => {
      const doc = this.client.docs[name];
      const fn = () => read();
      doc.on('update', fn);
      this.unsubscribers.push(() => doc.off('update', fn));
    };
    watch('agenda', () => {
      this.meta = readMeta(this.client.docs.agenda);
      this.agenda = readAgenda(this.client.docs.agenda);
      this.questions = readQuestions(this.client.docs.agenda);
      if (this.meta) rememberTitle(this.meetingId, this.meta.title);
    });
    watch('participants', () => {
      this.people = readParticipants(this.client.docs.participants);
      this.quorum = readQuorum(this.client.docs.participants);
    });
    watch('queue', () => {
      const q = readQueue(this.client.docs.queue);
      this.hands = q.hands;
      this.floor = q.floor;
      this.pinned = q.pinned;
      this.publishPresence();
    });
    watch('chat', () => (this.chat = readChat(this.client.docs.chat)));
    watch('annotations', () => (this.annotations = readAnnotations(this.client.docs.annotations)));
    watch('tallies', () => {
      const next = new Map<string, TallyRecord>();
      for (const [id, v] of Layout.tallies(this.client.docs.tallies).entries()) {
        const p = TallyRecordSchema.safeParse(v);
        if (p.success) next.set(id, p.data);
      }
      this.tallies = next;
    });

    const onOnline = () => (this.online = navigator.onLine);
    addEventListener('online', onOnline);
    addEventListener('offline', onOnline);
    this.unsubscribers.push(() => {
      removeEventListener('online', onOnline);
      removeEventListener('offline', onOnline);
    });
    this.publishPresence();
  }

  // ---- derived facts -------------------------------------------------------------------------

  /** The signed-in user's id. */
  get userId(): string {
    return this.welcome?.userId ?? this.session.userId;
  }

  get role(): Welcome['role'] {
    return this.welcome?.role ?? this.session.role;
  }

  get isOrganizer(): boolean {
    return this.role === 'organizer';
  }

  /** The signed-in user's participant record. */
  get me(): Participant | undefined {
    return this.people.find((p) => p.userId === this.userId);
  }

  /** Admitted (organizers always are). */
  get admitted(): boolean {
    return this.isOrganizer || this.me?.status === 'admitted';
  }

  /** Whether the organizer's Yjs edits of the drafts document reach the hub. */
  get canEditDrafts(): boolean {
    return this.welcome?.writableDocs.includes('drafts') ?? false;
  }

  /** User ids with a live presence. */
  get onlineIds(): Set<string> {
    return new Set(this.presence.filter((p) => p.online).map((p) => p.userId));
  }

  get currentItem(): AgendaItem | undefined {
    const id = this.meta?.currentItem;
    return id ? this.agenda.find((i) => i.id === id) : undefined;
  }

  /** My position in the speaker queue (1-based), or 0. */
  get handPosition(): number {
    return this.hands.findIndex((h) => h.userId === this.userId) + 1;
  }

  get hasFloor(): boolean {
    return this.floor.some((f) => f.userId === this.userId);
  }

  /** The shared text of an item's draft decision. */
  draft(itemId: string): Y.Text {
    return this.client.docs.drafts.getText(`draft:${itemId}`);
  }

  // ---- actions -------------------------------------------------------------------------------

  /** Sends a command; a refusal is shown as a notification (unless `quiet`) and returned. */
  async run<T extends CommandType>(type: T, args: ArgsOf<T>, opts: { quiet?: boolean } = {}): Promise<Outcome<ResultOf<T>>> {
    const p = this.client.command(type, args);
    this.pending = this.client.pendingCount;
    const r = await p;
    this.pending = this.client.pendingCount;
    if (!r.ok && !opts.quiet) toasts.push('warn', t('common.error', { message: r.error.message }));
    return r;
  }

  /** The view name published in presence (what this participant looks at). */
  private view = 'room';
  setView(view: string): void {
    this.view = view.slice(0, 64);
    this.publishPresence();
  }

  private publishPresence(): void {
    const name = this.welcome?.name ?? this.session.name;
    this.client.setPresence({
      userId: this.userId,
      name,
      online: true,
      hand: this.handPosition > 0,
      speaking: false,
      view: this.view,
    });
  }

  private attachAwareness(): void {
    this.detachAwareness?.();
    const awareness = this.client.awareness;
    if (!awareness) return;
    const read = () => {
      const out: Presence[] = [];
      const seen = new Set<string>();
      for (const v of awareness.getStates().values()) {
        const p = PresenceSchema.safeParse(v);
        if (p.success && !seen.has(p.data.userId)) {
          seen.add(p.data.userId);
          out.push(p.data);
        }
      }
      this.presence = out;
    };
    awareness.on('change', read);
    this.detachAwareness = () => awareness.off('change', read);
    this.publishPresence();
    read();
  }

  private onEvent(e: ServerEvent): void {
    switch (e.type) {
      case 'token':
        this.session = { ...this.session, token: e.token, expiresAt: e.expiresAt };
        updateToken(this.meetingId, e.token, e.expiresAt);
        return;
      case 'notice':
        toasts.push(e.level, e.text);
        return;
      case 'media':
        // Video signalling arrives here once the media plane is wired (see room/media.ts).
        return;
      default: {
        const unreachable: never = e;
        return unreachable;
      }
    }
  }

  /** Disconnects for good and stops listening. */
  destroy(): void {
    this.detachAwareness?.();
    for (const u of this.unsubscribers.splice(0)) u();
    this.client.close();
  }
}

