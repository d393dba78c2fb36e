/**
 * Renders the protocol JSON as a PDF, in Russian (the official copy) or English. Everything shown
 * comes from the JSON; the renderer only translates codes and formats amounts and times, so the
 * same JSON always gives the same bytes (the verifier relies on that).
 */
import { createRequire } from 'node:module';
import { canonicalJson } from '../../../shared/canonical.ts';
import { sha256 } from '../../ledger/chain.ts';
import type { Protocol, ProtocolQuestion, QuestionDefinition } from '../model.ts';
import { STRINGS, formatDate, formatMoney, formatSize, formatTime, percent, type Lang, type Strings } from '../i18n.ts';
import { PdfLayout } from './PdfLayout.ts';

const require = createRequire(import.meta.url);
const versionOf = (pkg: string): string => (require(`${pkg}/package.json`) as { version: string }).version;

/** Names the renderer and the exact libraries and fonts it uses: equal strings promise equal bytes. */
export const RENDERER = `agora-meet-protocol-pdf/1 (pdf-lib ${versionOf('pdf-lib')}, @pdf-lib/fontkit ${versionOf('@pdf-lib/fontkit')}, dejavu-fonts-ttf ${versionOf('dejavu-fonts-ttf')})`;

/** Height of the integrity section (heading, text, heads, signature line): it is kept on one page. */
const INTEGRITY_HEIGHT = 380;

/** Counts in reading order: for/against/abstain, or the question's options, then invalid (JSON key order is not kept). */
function orderedCounts(d: QuestionDefinition, counts: Readonly<Record<string, string>>): [string, string][] {
  const q = d.question;
  const first: string[] =
    q.form === 'for-against-abstain' || q.form === 'split' || q.form === 'approve-document'
      ? ['for', 'against', 'abstain']
      : 'options' in q
        ? [...q.options]
        : [];
  const rest = Object.keys(counts).filter((k) => k !== 'invalid' && !first.includes(k));
  if (q.form === 'number') rest.sort((a, b) => Number(a) - Number(b));
  else rest.sort();
  return [...first, ...rest, 'invalid'].filter((k) => counts[k] !== undefined).map((k) => [k, counts[k]!]);
}

/** A hash in groups of 16, so that a narrow cell wraps it between groups. */
function grouped(hex: string): string {
  return hex.replace(/(.{16})(?=.)/g, '$1 ');
}

/** Renders the protocol in one language. */
export async function renderProtocolPdf(p: Protocol, lang: Lang): Promise<Uint8Array> {
  const t = STRINGS[lang];
  const hash = sha256(canonicalJson(p));
  const kind = t.kinds[p.meeting.kind] ?? p.meeting.kind;
  const doc = await PdfLayout.create({
    title: `${t.title}: ${p.meeting.title}`,
    author: p.meeting.organizer.name,
    subject: `${kind}; ${p.meeting.id}; protocol.json SHA-256 ${hash}`,
    keywords: [p.meeting.id, `protocol-sha256:${hash}`, `audit-head:${p.chain.auditHead}`, `ledger-head:${p.chain.ledgerHead}`],
    lang: lang === 'ru' ? 'ru-RU' : 'en-GB',
    date: new Date(p.issuedAt),
    producer: RENDERER,
  });
  const r = new Renderer(doc, p, t, lang);
  r.all();
  return doc.finish({ left: t.footer(p.meeting.id, p.version, hash), right: (n, of) => t.page(n, of) }, p.draft ? t.draftMark : undefined);
}

class Renderer {
  constructor(
    private readonly doc: PdfLayout,
    private readonly p: Protocol,
    private readonly t: Strings,
    private readonly lang: Lang,
  ) {}

  private money = (a: string): string => formatMoney(a, this.lang);
  private time = (ms: number | null): string => (ms === null ? '—' : formatTime(ms, this.p.timeZone, this.lang));
  /** A time in a table cell: the zone is stated once, at the top. */
  private at = (ms: number): string => formatTime(ms, this.p.timeZone, this.lang, true, false);
  private rowName = (id: string): string => this.p.register.rows.find((r) => r.id === id)?.name ?? id;

  all(): void {
    this.title();
    let n = 1;
    this.section(n++, this.t.sections.register, () => this.register());
    this.section(n++, this.t.sections.participants, () => this.participants());
    this.section(n++, this.t.sections.agenda, () => this.agenda());
    this.section(n++, this.t.sections.questions, () => this.questions());
    this.section(n++, this.t.sections.absentee, () => this.absentee());
    this.section(n++, this.t.sections.documents, () => this.documents());
    this.section(n++, this.t.sections.integrity, () => this.integrity(), INTEGRITY_HEIGHT);
  }

  private section(n: number, title: string, body: () => void, keepTogether = 0): void {
    this.doc.ensure(keepTogether);
    this.doc.heading(`${n}. ${title}`, 1);
    body();
  }

  private title(): void {
    const { p, t, doc } = this;
    doc.paragraph(t.title, { face: 'bold', size: 16, align: 'center', spaceAfter: 2 });
    doc.paragraph(t.kinds[p.meeting.kind] ?? p.meeting.kind, { face: 'bold', size: 11, align: 'center', spaceAfter: 2 });
    doc.paragraph(p.meeting.title, { size: 11, align: 'center', spaceAfter: 10 });
    if (p.draft) doc.paragraph(t.draftNote, { face: 'bold', align: 'center', spaceAfter: 8 });
    const f = t.meetingFacts;
    const starts = Date.parse(p.meeting.startsAt);
    doc.facts([
      [f.kind, t.kinds[p.meeting.kind] ?? p.meeting.kind],
      [f.form, t.forms[p.meeting.form]],
      [f.startsAt, Number.isNaN(starts) ? p.meeting.startsAt : formatTime(starts, p.timeZone, this.lang, false)],
      [f.timeZone, `${t.zone(p.timeZone)} (${p.timeZone})`],
      [f.openedAt, p.meeting.openedAt === null ? f.notOpened : this.time(p.meeting.openedAt)],
      [f.closedAt, p.meeting.closedAt === null ? '—' : this.time(p.meeting.closedAt)],
      [f.place, f.placeValue(p.meeting.place.platform, p.meeting.place.url)],
      [f.organizer, p.meeting.organizer.name],
      [f.issued, f.issuedValue(this.time(p.issuedAt), p.version)],
      [f.meetingId, p.meeting.id],
    ]);
  }

  private register(): void {
    const { p, t, doc } = this;
    const reg = p.register;
    doc.paragraph(t.register.summary(reg.rows.length, this.money(reg.total), this.money(reg.secured), this.money(reg.voting)));
    const c = t.register.columns;
    doc.table(
      [
        { header: c[0], width: 0.06, align: 'right' },
        { header: c[1], width: 0.5 },
        { header: c[2], width: 0.16 },
        { header: c[3], width: 0.19, align: 'right' },
        { header: c[4], width: 0.09, align: 'center' },
      ],
      reg.rows.map((r, i) => [String(i + 1), `${r.name} (${r.id})`, r.inn ?? '—', this.money(r.votes), r.secured ? t.register.secured : '—']),
    );
  }

  private participants(): void {
    const { p, t, doc } = this;
    const q = p.quorumAtOpening;
    doc.paragraph(q ? t.participants.quorumAtOpening(this.money(q.present), this.money(q.total), percent(q.present, q.total, this.lang), q.reached, this.time(q.at)) : t.participants.noOpening);
    const c = t.participants.columns;
    doc.table(
      [
        { header: c[0], width: 0.05, align: 'right' },
        { header: c[1], width: 0.27 },
        { header: c[2], width: 0.155 },
        { header: c[3], width: 0.135 },
        { header: c[4], width: 0.15, align: 'right' },
        { header: c[5], width: 0.24 },
      ],
      p.participants.map((x, i) => {
        const absentee = p.items.some((it) => it.questions.some((q) => q.ballots.some((b) => b.userId === x.userId && b.absentee)));
        const admitted =
          x.admittedAt === null
            ? absentee
              ? t.participants.absenteeOnly
              : '—'
            : `${this.at(x.admittedAt)}${x.method ? `, ${t.participants.methods[x.method] ?? x.method}` : ''}`;
        const removed = x.removedAt === null ? '' : `; ${t.participants.removed(this.at(x.removedAt), x.removedReason ?? '')}`;
        return [String(i + 1), x.name, t.participants.roles[x.role], x.rows.join(', ') || '—', x.rows.length > 0 ? this.money(x.weight) : '—', admitted + removed];
      }),
    );
  }

  private agenda(): void {
    for (const item of this.p.items) this.doc.paragraph(`${item.number}. ${item.title}`, { indent: 8, spaceAfter: 2 });
  }

  private questions(): void {
    const { p, t, doc } = this;
    for (const item of p.items) {
      doc.heading(`${t.agendaItem(item.number)}. ${item.title}`, 2);
      if (item.description) doc.paragraph(item.description);
      if (item.documents.length > 0) {
        doc.paragraph(`${t.question.documents}: ${item.documents.map((d) => `${d.name || d.sha256.slice(0, 12)} (${formatSize(d.size, this.lang)}), SHA-256 ${d.sha256}`).join('; ')}`, { size: 8 });
      }
      for (const q of item.questions) this.question(q);
    }
  }

  private question(q: ProtocolQuestion): void {
    const { t, doc } = this;
    const d = q.definition;
    const qt = t.question;
    doc.heading(`${qt.heading(q.number)}${d.question.title ? `: ${d.question.title}` : ''}`, 3);
    if (d.question.text) doc.paragraph(d.question.text);
    const facts: [string, string][] = [
      [qt.form, t.formsOfBallot[d.question.form]],
      [qt.rule, this.rule(d)],
      [qt.mode, qt.modes[d.mode]],
    ];
    if ('options' in d.question) facts.push([qt.options, d.question.options.map((o) => (d.question.form === 'date' ? formatDate(o, this.lang) : o)).join('; ')]);
    if ('seats' in d.question) facts.push([qt.seats, String(d.question.seats)]);
    if (d.absentee) facts.push([qt.absenteeWindow, `${this.time(d.absentee.from)} — ${this.time(d.absentee.until)}`]);
    if (q.openedAt !== null) facts.push([qt.window, `${this.time(q.openedAt)} — ${q.closedAt === null ? '…' : this.time(q.closedAt)}`]);
    if (q.quorumAtOpen) facts.push([qt.quorumAtOpen, qt.quorumValue(this.money(q.quorumAtOpen.present), this.money(q.quorumAtOpen.total), percent(q.quorumAtOpen.present, q.quorumAtOpen.total, this.lang), '', q.quorumAtOpen.reached)]);
    const r = q.result;
    if (r) {
      facts.push([
        qt.quorumAtClose,
        qt.quorumValue(this.money(r.quorum.present), this.money(r.quorum.total), percent(r.quorum.present, r.quorum.total, this.lang), this.money(r.quorum.needed), r.quorum.reached),
      ]);
    }
    doc.facts(facts);
    if (q.status === 'draft') return doc.paragraph(qt.draft);
    if (q.status === 'cancelled') doc.paragraph(qt.cancelled(q.cancelReason ?? ''), { face: 'bold' });
    if (q.status === 'open') doc.paragraph(qt.open, { face: 'bold' });
    if (r) this.result(q, r);
    this.ballots(q);
  }

  private rule(d: QuestionDefinition): string {
    const { t } = this;
    const rule = d.question.rule;
    if (typeof rule === 'object') return t.qualified(t.share(rule.num, rule.den, rule.atLeast ?? false), rule.base);
    const base = 'base' in d.question && d.question.base === 'register' ? (this.lang === 'ru' ? ' (от голосов по реестру)' : ' (of the register)') : '';
    return `${t.rules[rule] ?? rule}${rule === 'choice' ? base : ''}`;
  }

  private result(q: ProtocolQuestion, r: NonNullable<ProtocolQuestion['result']>): void {
    const { t, doc } = this;
    const qt = t.question;
    const form = q.definition.question.form;
    const base = r.threshold?.of ?? r.quorum.present;
    const binary = form === 'for-against-abstain' || form === 'split' || form === 'approve-document';
    const label = (key: string) => (key === 'invalid' ? t.counts['invalid']! : binary ? (t.counts[key] ?? key) : form === 'number' ? this.money(key) : form === 'date' ? formatDate(key, this.lang) : key);
    // Cumulative and ranking ballots carry weight x seats or points: a share of the present weight would mislead.
    const shares = form !== 'cumulative' && form !== 'ranking';
    const c = qt.resultsColumns;
    const rows = orderedCounts(q.definition, r.counts).map(([k, v]) => [label(k), this.money(v), ...(shares ? [percent(v, base, this.lang)] : [])]);
    doc.table(
      [
        { header: c[0], width: 0.58 },
        { header: c[1], width: 0.24, align: 'right' },
        ...(shares ? [{ header: c[2], width: 0.18, align: 'right' as const }] : []),
      ],
      rows,
    );
    const facts: [string, string][] = [[qt.notVoted, `${this.money(r.notVoted)} ${this.lang === 'ru' ? 'руб.' : 'RUB'}`]];
    if (r.threshold) facts.push([qt.threshold, qt.thresholdValue(t.share(r.threshold.share.num, r.threshold.share.den, r.threshold.share.atLeast), r.threshold.base, this.money(r.threshold.of), this.money(r.threshold.needed))]);
    if (r.seats) facts.push([qt.seatsFilled, `${r.seats.filled} / ${r.seats.total}`]);
    if (r.winners && r.winners.length > 0) facts.push([qt.winners, r.winners.map(label).join('; ')]);
    if (r.tied && r.tied.length > 0) facts.push([qt.tied, r.tied.map(label).join('; ')]);
    if (r.median) facts.push([qt.median, this.money(r.median)]);
    if (r.classConsent) facts.push([qt.rule, qt.classConsent(r.classConsent.consented.length, r.classConsent.members.length, r.classConsent.missing.map(this.rowName).join(', '))]);
    if (r.rejectReasons && r.rejectReasons.length > 0) facts.push([qt.rejectReasons, r.rejectReasons.map((x) => `${this.rowName(x.voter)}: ${x.reason}`).join('; ')]);
    if (r.invalid.ballots.length > 0) facts.push([qt.invalid, r.invalid.ballots.map((b) => `${this.rowName(b.voter)}: ${b.message}`).join('; ')]);
    doc.facts(facts);
    doc.paragraph(`${qt.outcome}: ${qt.outcomes[r.outcome]} (${qt.reasons[r.reason] ?? r.reason}).`, { face: 'bold', size: this.doc.bodySize + 0.5 });
  }

  private ballots(q: ProtocolQuestion): void {
    const { t, doc } = this;
    const qt = t.question;
    if (q.ballots.length === 0) {
      doc.paragraph(qt.noBallots);
    } else {
      doc.heading(q.status === 'closed' ? qt.ballots : qt.ballotsNotCounted, 3);
      const c = qt.ballotColumns;
      doc.table(
        [
          { header: c[0], width: 0.08, align: 'right' },
          { header: c[1], width: 0.25 },
          { header: c[2], width: 0.15, align: 'right' },
          { header: c[3], width: 0.18 },
          { header: c[4], width: 0.2 },
          { header: c[5], width: 0.14 },
        ],
        q.ballots.map((b) => [
          String(b.seq),
          `${b.rowName} (${b.row})`,
          this.money(b.weight),
          b.castBy,
          this.choice(q.definition, b.choice),
          `${this.at(b.at)}${b.absentee ? `, ${qt.absenteeMark}` : ''}`,
        ]),
        { size: 7.5 },
      );
    }
    const notes = [q.superseded > 0 ? qt.superseded(q.superseded) : '', q.invalidated > 0 ? qt.invalidated(q.invalidated) : ''].filter(Boolean);
    if (notes.length > 0) doc.paragraph(notes.join(' '), { size: 8 });
  }

  /** A ballot's choice in words. */
  private choice(d: QuestionDefinition, choice: unknown): string {
    const c = this.t.choices;
    const word = (v: unknown) => (v === 'for' || v === 'against' || v === 'abstain' ? c[v] : String(v));
    switch (d.question.form) {
      case 'for-against-abstain':
        return word(choice);
      case 'split':
        if (typeof choice === 'string') return word(choice);
        if (typeof choice === 'object' && choice !== null) {
          return Object.entries(choice)
            .map(([k, v]) => `${word(k)} ${this.money(String(v))}`)
            .join('; ');
        }
        break;
      case 'approve-document':
        if (typeof choice === 'object' && choice !== null && 'decision' in choice) {
          const x = choice as { decision: unknown; reason?: unknown };
          return x.decision === 'approve' ? c.approve : `${c.reject}: ${String(x.reason ?? '')}`;
        }
        break;
      case 'one-of':
      case 'wording':
        return String(choice);
      case 'date':
        return formatDate(String(choice), this.lang);
      case 'number':
        return typeof choice === 'number' || typeof choice === 'string' ? this.money(String(choice)) : canonicalJson(choice);
      case 'up-to-k':
        if (Array.isArray(choice)) return choice.map(String).join('; ');
        break;
      case 'ranking':
        if (Array.isArray(choice)) return choice.map((o, i) => `${i + 1}) ${String(o)}`).join(' ');
        break;
      case 'cumulative':
        if (typeof choice === 'object' && choice !== null) {
          return Object.entries(choice)
            .map(([k, v]) => `${k}: ${this.money(String(v))}`)
            .join('; ');
        }
        break;
      default: {
        const unreachable: never = d.question;
        return String(unreachable);
      }
    }
    return canonicalJson(choice);
  }

  private absentee(): void {
    const { p, t, doc } = this;
    const rows = p.items.flatMap((i) => i.questions.flatMap((q) => q.ballots.filter((b) => b.absentee).map((b) => ({ q, b }))));
    if (rows.length === 0) return doc.paragraph(t.absentee.none);
    const c = t.absentee.columns;
    doc.table(
      [
        { header: c[0], width: 0.15 },
        { header: c[1], width: 0.33 },
        { header: c[2], width: 0.17, align: 'right' },
        { header: c[3], width: 0.17 },
        { header: c[4], width: 0.18 },
      ],
      rows.map(({ q, b }) => [q.number, `${b.rowName} (${b.row})`, this.money(b.weight), this.choice(q.definition, b.choice), this.at(b.at)]),
    );
  }

  private documents(): void {
    const { p, t, doc } = this;
    const docs = p.items.flatMap((i) => i.documents.map((d) => ({ i, d })));
    if (docs.length === 0) return doc.paragraph(t.documents.none);
    const c = t.documents.columns;
    doc.table(
      [
        { header: c[0], width: 0.08, align: 'center' },
        { header: c[1], width: 0.24 },
        { header: c[2], width: 0.08, align: 'right' },
        { header: c[3], width: 0.24 },
        { header: c[4], width: 0.36, face: 'mono' },
      ],
      docs.map(({ i, d }) => [String(i.number), `${d.name || '—'}${d.type ? ` (${d.type})` : ''}`, formatSize(d.size, this.lang), d.attachedAt === null ? '—' : `${this.at(d.attachedAt)}${d.attachedBy ? `, ${d.attachedBy}` : ''}`, grouped(d.sha256)]),
      { size: 7.5 },
    );
  }

  private integrity(): void {
    const { p, t, doc } = this;
    const it = t.integrity;
    doc.paragraph(it.intro);
    doc.table(
      [
        { header: '', width: 0.3, face: 'bold' },
        { header: '', width: 0.7, face: 'mono' },
      ],
      [
        [`${it.auditHead} (${it.record(p.chain.auditSeq)})`, p.chain.auditHead],
        [`${it.ledgerHead} (${it.record(p.chain.ledgerSeq)})`, p.chain.ledgerHead],
        [it.registerHash, p.register.sha256],
        [it.organizerKey, p.signing.organizer.kid],
        [it.hubKey, p.signing.hubKid],
      ],
      { header: false, size: 8 },
    );
    doc.paragraph(it.signing);
    doc.paragraph(it.verify);
    doc.signatureLine(it.signatureLine, p.meeting.organizer.name);
  }
}
