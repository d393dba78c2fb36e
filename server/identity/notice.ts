/**
 * The notice of a meeting: the organizer publishes the date, the form (in-person-online, absentee,
 * mixed), the agenda, the materials and the absentee deadline; the hub gives every register row a
 * participant and personal links (a single-use meeting link, an absentee ballot link, or both, by the
 * form) and sends them through the message gateway to the contacts in the register. For the creditors
 * preset a notice later than 14 days before the meeting is refused unless overridden with a reason.
 */
import { z } from 'zod';
import { readAgenda } from '../../shared/docs.ts';
import type { SessionClaims } from '../auth/TokenService.ts';
import type { Hub } from '../hub/Hub.ts';
import { issueLink, revokeLinks } from '../hub/invitations.ts';
import type { MeetingRecord, RegisterRow } from '../storage/Storage.ts';
import { maskAddress, normalizeEmail, normalizePhone } from './addresses.ts';
import { ensureCreditor } from './admission.ts';
import { changeMeeting, releaseIfIdle } from './meetingEffects.ts';
import { ok, refuse, type Outcome } from './outcome.ts';

const DAY_MS = 24 * 3600_000;
/** Minimum notice per preset, in days before the meeting (127-FZ art. 13 p. 1 for creditors). */
export const NOTICE_MIN_DAYS: Readonly<Record<string, number>> = { creditors: 14 };
/** Meeting links work until this long after the meeting starts (it may run over or be resumed). */
const JOIN_LINK_GRACE_MS = 2 * DAY_MS;
/** Absentee links keep working this long after the meeting, for receipts and results. */
const ABSENTEE_LINK_RETENTION_MS = 30 * DAY_MS;
/** Messages sent at once while a notice goes out. */
const SEND_CONCURRENCY = 4;

const Sha = z.string().regex(/^[0-9a-f]{64}$/, 'a document id is its SHA-256 in hex');

/** What the organizer publishes. */
export const NoticeInputSchema = z
  .object({
    /** The meeting's date and time; defaults to the meeting's start. */
    date: z.string().datetime({ offset: true }).optional(),
    form: z.enum(['in-person-online', 'absentee', 'mixed']),
    /** Defaults to the meeting's agenda as it stands. */
    agenda: z.array(z.object({ title: z.string().trim().min(1).max(300), description: z.string().max(10_000).optional() }).strict()).min(1).max(100).optional(),
    materials: z.array(z.object({ sha256: Sha, name: z.string().trim().min(1).max(300) }).strict()).max(100).default([]),
    /** How and where to read the materials (art. 13: the notice must say). */
    howToRead: z.string().trim().max(2000).optional(),
    /** Until when absentee ballots are accepted; required for absentee and mixed meetings. */
    absenteeDeadline: z.string().datetime({ offset: true }).optional(),
    channels: z.array(z.enum(['email', 'sms'])).min(1).max(2).default(['email', 'sms']),
    /** Publishing later than the preset's minimum needs a reason (audited). */
    override: z.object({ reason: z.string().trim().min(1).max(1000) }).strict().optional(),
  })
  .strict()
  .refine((n) => n.form === 'in-person-online' || n.absenteeDeadline !== undefined, { message: 'An absentee or mixed meeting needs an absentee deadline.', path: ['absenteeDeadline'] });
export type NoticeInput = z.infer<typeof NoticeInputSchema>;

/** The notice as published and stored. */
export const PublishedNoticeSchema = z.object({
  meetingId: z.string(),
  title: z.string(),
  kind: z.string(),
  date: z.string(),
  form: z.enum(['in-person-online', 'absentee', 'mixed']),
  agenda: z.array(z.object({ title: z.string(), description: z.string().optional() })),
  materials: z.array(z.object({ sha256: z.string(), name: z.string() })),
  howToRead: z.string().nullable(),
  absenteeDeadline: z.string().nullable(),
  publishedAt: z.number(),
  publishedBy: z.string(),
  override: z.object({ reason: z.string(), daysBefore: z.number() }).nullable(),
});
export type PublishedNotice = z.infer<typeof PublishedNoticeSchema>;

/** What happened to one recipient's notice. */
export interface Delivery {
  userId: string;
  name: string;
  rows: string[];
  sent: { channel: 'email' | 'sms'; to: string; ok: boolean; error?: string }[];
  /** True when the register has no contact for the chosen channels: notify by post. */
  noContact: boolean;
}

const FORM_TITLES: Record<PublishedNotice['form'], string> = {
  'in-person-online': 'очная (онлайн на платформе)',
  absentee: 'заочная (бюллетени)',
  mixed: 'очная (онлайн) с заочным голосованием',
};

const ruDate = (iso: string): string =>
  `${new Intl.DateTimeFormat('ru-RU', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Moscow' }).format(new Date(iso))} (МСК)`;

/** Notices of a hub's meetings. */
export class Notices {
  constructor(private readonly hub: Hub) {}

  /** The stored notice of a meeting, or null before it is published. */
  async get(meetingId: string): Promise<PublishedNotice | null> {
    const rec = await this.hub.storage.getNotice(meetingId);
    const p = PublishedNoticeSchema.safeParse(rec?.notice);
    return p.success ? p.data : null;
  }

  /** Publishes the notice and sends every register row its links. */
  async publish(meetingId: string, organizer: SessionClaims, input: NoticeInput, publicUrl: string): Promise<Outcome<{ notice: PublishedNotice; deliveries: Delivery[] }>> {
    const meeting = await this.hub.storage.getMeeting(meetingId);
    if (!meeting) return refuse(404, 'no-meeting', 'No such meeting.');
    const earlier = await this.get(meetingId);
    if (earlier) return refuse(409, 'already-published', `The notice was published on ${new Date(earlier.publishedAt).toISOString()}. To send one creditor new links, use resend.`);
    const now = Date.now();
    const date = input.date ?? meeting.startsAt;
    const at = Date.parse(date);
    if (!Number.isFinite(at) || at <= now) return refuse(422, 'date-passed', 'The meeting date has passed: set the date of the meeting first.');
    const daysBefore = Math.floor(((at - now) / DAY_MS) * 10) / 10;
    const minDays = NOTICE_MIN_DAYS[meeting.kind] ?? 0;
    if (daysBefore < minDays && !input.override) {
      return refuse(
        422,
        'notice-too-late',
        `A notice of a ${meeting.kind} meeting must go out at least ${minDays} days before it (127-FZ art. 13); this meeting is ${daysBefore} days away. Move the meeting, or publish with an override and the reason (it is recorded in the audit log).`,
        { daysBefore, minDays },
      );
    }
    if (input.absenteeDeadline !== undefined) {
      const deadline = Date.parse(input.absenteeDeadline);
      if (deadline <= now || deadline > at) return refuse(422, 'invalid-args', 'The absentee deadline must be in the future and no later than the meeting.');
    }
    const register = await this.hub.storage.listRegister(meetingId);
    if (register.length === 0) return refuse(422, 'no-register', 'Import the register of claims before publishing the notice: the notice goes to every row.');
    const m = await this.hub.getMeeting(meetingId);
    const agenda = input.agenda ?? (m ? readAgenda(m.docs.agenda).map((i) => ({ title: i.title, ...(i.description ? { description: i.description } : {}) })) : []);
    if (m) releaseIfIdle(m);
    if (agenda.length === 0) return refuse(422, 'no-agenda', 'The notice needs an agenda: add agenda items to the meeting, or list them in the notice.');
    const override = daysBefore < minDays && input.override ? { reason: input.override.reason, daysBefore } : null;
    const notice: PublishedNotice = {
      meetingId,
      title: meeting.title,
      kind: meeting.kind,
      date,
      form: input.form,
      agenda,
      materials: input.materials,
      howToRead: input.howToRead ?? null,
      absenteeDeadline: input.absenteeDeadline ?? null,
      publishedAt: now,
      publishedBy: organizer.userId,
      override,
    };
    // Stored first: a crash while sending must not let the notice go out twice (resend repairs gaps).
    await this.hub.storage.putNotice({ meetingId, notice, publishedAt: now, publishedBy: organizer.userId });
    const recipients = await this.recipients(meetingId, register);
    const deliveries = await pool(recipients, SEND_CONCURRENCY, (r) => this.deliver(meeting, notice, r, input.channels, publicUrl));
    await changeMeeting(this.hub, meetingId, (c) => {
      if (override) c.audit('notice.late-override', { daysBefore, minDays, reason: override.reason, by: organizer.userId });
      c.audit('notice.published', {
        form: notice.form,
        date,
        absenteeDeadline: notice.absenteeDeadline,
        agenda: agenda.map((a) => a.title),
        materials: notice.materials.map((x) => x.sha256),
        recipients: deliveries.length,
        delivered: deliveries.filter((d) => d.sent.some((s) => s.ok)).length,
        by: organizer.userId,
      });
      for (const d of deliveries) auditDelivery(c.audit, d);
      c.summary((s) => ({ ...s, noticePublishedAt: now }));
    });
    return ok({ notice, deliveries });
  }

  /** Sends one participant fresh links (the earlier ones are revoked), e.g. after a lost or revoked link. */
  async resend(meetingId: string, organizer: SessionClaims, a: { userId: string; channels: ('email' | 'sms')[] }, publicUrl: string): Promise<Outcome<Delivery>> {
    const [meeting, notice, p] = await Promise.all([this.hub.storage.getMeeting(meetingId), this.get(meetingId), this.hub.storage.getParticipant(meetingId, a.userId)]);
    if (!meeting) return refuse(404, 'no-meeting', 'No such meeting.');
    if (!notice) return refuse(409, 'no-notice', 'Publish the notice first.');
    if (!p || p.rows.length === 0) return refuse(404, 'not-found', 'No such creditor in this meeting.');
    const register = new Map((await this.hub.storage.listRegister(meetingId)).map((r) => [r.id, r]));
    const rows = p.rows.flatMap((id) => register.get(id) ?? []);
    const user = await this.hub.storage.getUser(p.userId);
    const revoked = await revokeLinks(this.hub, meetingId, p.userId);
    const d = await this.deliver(meeting, notice, { userId: p.userId, name: user?.name ?? p.userId, rows }, a.channels, publicUrl);
    await changeMeeting(this.hub, meetingId, (c) => {
      c.audit('notice.resent', { userId: p.userId, revokedLinks: revoked, by: organizer.userId });
      auditDelivery(c.audit, d);
    });
    return ok(d);
  }

  /**
   * An absentee ballot link for one voter (e.g. a creditor who asks for one, or a meeting without a
   * notice yet), sent to the register's contacts when `channels` is not empty, and returned to the organizer.
   */
  async absenteeLink(meetingId: string, organizer: SessionClaims, a: { userId: string; channels: ('email' | 'sms')[] }, publicUrl: string): Promise<Outcome<{ link: string; expiresAt: number; sent: Delivery['sent'] }>> {
    const [meeting, notice, p] = await Promise.all([this.hub.storage.getMeeting(meetingId), this.get(meetingId), this.hub.storage.getParticipant(meetingId, a.userId)]);
    if (!meeting) return refuse(404, 'no-meeting', 'No such meeting.');
    if (!p || (p.role !== 'voter' && p.role !== 'representative') || p.rows.length === 0) return refuse(404, 'not-found', 'No voter with claims in the register has this id.');
    const at = Date.parse(notice?.date ?? meeting.startsAt);
    const issued = await issueLink(this.hub, meetingId, p.userId, { purpose: 'absentee', row: p.rows[0] ?? null, expiresAt: at + ABSENTEE_LINK_RETENTION_MS, publicUrl });
    const register = new Map((await this.hub.storage.listRegister(meetingId)).map((r) => [r.id, r]));
    const rows = p.rows.flatMap((id) => register.get(id) ?? []);
    const sent: Delivery['sent'] = [];
    for (const ch of a.channels) {
      const to = ch === 'email' ? rows.map((r) => normalizeEmail(r.email)).find((x) => x !== null) : rows.map((r) => normalizePhone(r.phone)).find((x) => x !== null);
      if (!to) continue;
      const text =
        ch === 'email'
          ? `Ссылка для заочного голосования на собрании «${meeting.title}» (бюллетени, квитанции и итоги):\n${issued.link}\n\nСсылка личная: не передавайте её другим.`
          : `Бюллетень собрания: ${issued.link}`;
      try {
        await this.hub.messages.send({ channel: ch, to, subject: `Бюллетень для заочного голосования: ${meeting.title}`, text, purpose: 'absentee-link', meetingId, sensitive: true });
        sent.push({ channel: ch, to: maskAddress(ch, to), ok: true });
      } catch (err) {
        sent.push({ channel: ch, to: maskAddress(ch, to), ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    }
    await changeMeeting(this.hub, meetingId, (c) => c.audit('absentee.link-issued', { userId: p.userId, rows: p.rows, sent: sent.map((x) => ({ channel: x.channel, to: x.to, ok: x.ok })), by: organizer.userId }));
    return ok({ link: issued.link, expiresAt: issued.expiresAt, sent });
  }

  /** One recipient per register row: the voter already holding it, or a new participant for its creditor. */
  private async recipients(meetingId: string, register: RegisterRow[]): Promise<{ userId: string; name: string; rows: RegisterRow[] }[]> {
    const participants = await this.hub.storage.listParticipants(meetingId);
    const byUser = new Map<string, { userId: string; name: string; rows: RegisterRow[] }>();
    for (const row of register) {
      const holder = participants.find((p) => p.role === 'voter' && p.rows.includes(row.id)) ?? (await ensureCreditor(this.hub, meetingId, row));
      let r = byUser.get(holder.userId);
      if (!r) byUser.set(holder.userId, (r = { userId: holder.userId, name: (await this.hub.storage.getUser(holder.userId))?.name ?? row.name, rows: [] }));
      r.rows.push(row);
    }
    return [...byUser.values()];
  }

  private async deliver(meeting: MeetingRecord, notice: PublishedNotice, r: { userId: string; name: string; rows: RegisterRow[] }, channels: ('email' | 'sms')[], publicUrl: string): Promise<Delivery> {
    const at = Date.parse(notice.date);
    const row = r.rows[0]?.id ?? null;
    const join = notice.form !== 'absentee' ? await issueLink(this.hub, meeting.id, r.userId, { purpose: 'join', row, expiresAt: at + JOIN_LINK_GRACE_MS, publicUrl }) : null;
    const absentee = notice.form !== 'in-person-online' ? await issueLink(this.hub, meeting.id, r.userId, { purpose: 'absentee', row, expiresAt: at + ABSENTEE_LINK_RETENTION_MS, publicUrl }) : null;
    const email = r.rows.map((x) => normalizeEmail(x.email)).find((x) => x !== null) ?? null;
    const phone = r.rows.map((x) => normalizePhone(x.phone)).find((x) => x !== null) ?? null;
    const d: Delivery = { userId: r.userId, name: r.name, rows: r.rows.map((x) => x.id), sent: [], noContact: false };
    const targets: { channel: 'email' | 'sms'; to: string }[] = channels.flatMap((ch) => {
      const to = ch === 'email' ? email : phone;
      return to ? [{ channel: ch, to }] : [];
    });
    if (targets.length === 0) d.noContact = true;
    for (const t of targets) {
      const masked = maskAddress(t.channel, t.to);
      try {
        await this.hub.messages.send({
          channel: t.channel,
          to: t.to,
          subject: `Уведомление о собрании: ${meeting.title}`,
          text: t.channel === 'email' ? emailText(notice, r, join?.link ?? null, absentee?.link ?? null) : smsText(notice, join?.link ?? null, absentee?.link ?? null),
          purpose: 'notice',
          meetingId: meeting.id,
          sensitive: true,
        });
        d.sent.push({ channel: t.channel, to: masked, ok: true });
      } catch (err) {
        d.sent.push({ channel: t.channel, to: masked, ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return d;
  }
}

function auditDelivery(audit: (type: string, data: Record<string, unknown>) => void, d: Delivery): void {
  if (d.noContact) audit('notice.no-contact', { userId: d.userId, rows: d.rows });
  for (const s of d.sent) audit(s.ok ? 'notice.sent' : 'notice.not-sent', { userId: d.userId, rows: d.rows, channel: s.channel, to: s.to, ...(s.error ? { error: s.error } : {}) });
}

function emailText(n: PublishedNotice, r: { name: string; rows: RegisterRow[] }, join: string | null, absentee: string | null): string {
  const lines = [
    `Уважаемый участник (${r.name})!`,
    '',
    `Сообщаем о проведении собрания: ${n.title}.`,
    `Дата и время: ${ruDate(n.date)}.`,
    `Форма проведения: ${FORM_TITLES[n.form]}.`,
    ...(n.absenteeDeadline ? [`Бюллетени принимаются до ${ruDate(n.absenteeDeadline)}.`] : []),
    '',
    'Повестка дня:',
    ...n.agenda.map((a, i) => `${i + 1}. ${a.title}`),
    '',
    ...(n.materials.length > 0 ? ['Материалы к собранию (доступны после входа):', ...n.materials.map((m) => `- ${m.name}`), ''] : []),
    ...(n.howToRead ? [`Порядок ознакомления с материалами: ${n.howToRead}`, ''] : []),
    `Ваши требования в реестре: ${r.rows.map((x) => `${x.name} — ${x.votes} руб.`).join('; ')}.`,
    '',
    ...(join ? ['Ссылка для участия в собрании (действует один раз):', join, ''] : []),
    ...(absentee ? ['Ссылка для заочного голосования (бюллетени, квитанции и итоги):', absentee, ''] : []),
    'Ссылки личные: не передавайте их другим. Если ссылка не открывается, войдите по одноразовому коду, отправленному на этот адрес.',
  ];
  return lines.join('\n');
}

function smsText(n: PublishedNotice, join: string | null, absentee: string | null): string {
  const parts = [`Собрание ${ruDate(n.date)}.`, ...(join ? [`Вход: ${join}`] : []), ...(absentee ? [`Бюллетень: ${absentee}`] : [])];
  return parts.join(' ');
}

/** Maps `items` with at most `n` running at once, keeping the order. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}
