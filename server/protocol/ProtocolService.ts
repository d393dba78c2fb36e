/**
 * The protocol of a meeting on the hub: draws it up from the durable facts (preview or issue),
 * signs it with the organizer's key, takes creditors' simple electronic signatures by one-time
 * code and the organizer's paper scans, and packs the bundle. Issues, signatures and scans are
 * audit events (the audit log is their only record); the files are content-addressed blobs.
 *
 * Audit events it writes (data):
 *   protocol.issued  { version, manifestSha256, manifest, by }
 *   signature.key    { manifest, protocol, signer, kid, jws }
 *   signature.code   { manifest, protocol, signer, kid, codeId, channel, sentTo, requestedAt, jws }
 *   scan.attached    { manifest, sha256, type, size, name, reason, by }
 */
import { canonicalJson } from '../../shared/canonical.ts';
import { Layout, readAgenda, readMeta, readParticipants, readQuestions } from '../../shared/docs.ts';
import type { Hub } from '../hub/Hub.ts';
import type { Meeting } from '../meeting/Meeting.ts';
import type { SessionClaims } from '../auth/TokenService.ts';
import type { AuditRecord } from '../storage/Storage.ts';
import { sha256 } from '../ledger/chain.ts';
import { buildProtocol } from './build.ts';
import { renderProtocolPdf, RENDERER } from './pdf/renderProtocol.ts';
import { ProtocolKeys, signJws, type SigningKey } from './keys.ts';
import { SignatureCodes, maskAddress, DEFAULT_CODE_LIMITS, type CodeLimits } from './codes.ts';
import { BUNDLE, bundleReadme, packBundle, toJsonLines } from './bundle.ts';
import {
  PROTOCOL_FACT_EVENTS,
  DEFAULT_TIME_ZONE,
  MANIFEST_FORMAT,
  ManifestSchema,
  ProtocolSchema,
  SIGNATURE_FORMAT,
  type Manifest,
  type Protocol,
  type SignatureEntry,
  type SignaturePayload,
  type Signer,
} from './model.ts';
import { LANGS, type Lang } from './i18n.ts';

/** The platform's name as the protocol gives the place of the meeting. */
export const PLATFORM = 'agora-meet';
/** Largest paper scan accepted. */
export const MAX_SCAN_BYTES = 20 * 1024 * 1024;

/** An outcome: a value, or a refusal with an HTTP status and a readable message. */
export type Outcome<T> = { ok: true; value: T } | Refusal;
export interface Refusal {
  ok: false;
  status: number;
  message: string;
  details?: unknown;
  retryAfterSeconds?: number;
}
const refuse = (status: number, message: string, details?: unknown): Refusal => ({ ok: false, status, message, ...(details === undefined ? {} : { details }) });

/** The latest issued protocol of a meeting, as the audit log records it. */
export interface Issued {
  auditSeq: number;
  version: number;
  manifest: Manifest;
  manifestSha256: string;
}

/** Options (tests move the clock and tighten the limits). */
export interface ProtocolServiceOptions {
  publicUrl: () => string;
  timeZone?: string;
  codeLimits?: CodeLimits;
  clock?: () => number;
}

/** The protocol service of one hub. */
export class ProtocolService {
  readonly keys: ProtocolKeys;
  readonly codes: SignatureCodes;
  /** The time source (tests move it to expire codes). */
  clock: () => number;
  private readonly timeZone: string;

  constructor(
    private readonly hub: Hub,
    private readonly opts: ProtocolServiceOptions,
  ) {
    this.keys = ProtocolKeys.inDataDir(hub.config.dataDir);
    this.codes = new SignatureCodes(hub.storage, SignatureCodes.keyIn(hub.config.dataDir), opts.codeLimits ?? DEFAULT_CODE_LIMITS);
    this.clock = opts.clock ?? Date.now;
    this.timeZone = opts.timeZone ?? DEFAULT_TIME_ZONE;
  }

  /**
   * Runs an action on the loaded meeting, every change so far durable; refused where this hub does not
   * own it. A meeting loaded only for HTTP is left to unload when idle, as seeding does.
   */
  private async using<T>(id: string, act: (m: Meeting) => Promise<Outcome<T>>): Promise<Outcome<T>> {
    const m = await this.hub.getMeeting(id);
    if (!m) return refuse(404, 'No such meeting.');
    try {
      // In a cluster only the owner hub writes a meeting's audit log.
      if ((m as { isReplica?: boolean }).isReplica === true) return refuse(503, 'This hub does not own the meeting right now; retry shortly.');
      await m.drain();
      return await act(m);
    } finally {
      if (m.sessions.size === 0) m.onIdle(m);
    }
  }

  /** The latest issued protocol, or null. */
  issued(m: Meeting): Issued | null {
    let rec: AuditRecord | undefined;
    for (const r of m.audit.all) if (r.type === 'protocol.issued') rec = r;
    if (!rec) return null;
    const d = rec.data as { version: number; manifest: unknown; manifestSha256: string };
    return { auditSeq: rec.seq, version: d.version, manifest: ManifestSchema.parse(d.manifest), manifestSha256: d.manifestSha256 };
  }

  /** The chain heads and the protocol's state, for the organizer's screen. */
  async head(id: string): Promise<Outcome<object>> {
    return this.using(id, async (m) => {
      const issued = this.issued(m);
      return {
        ok: true,
        value: {
          auditHead: m.audit.head,
          auditSeq: m.audit.all.length,
          ledgerHead: m.voting.ledgerHead,
          ledgerSeq: m.voting.ballots.length,
          protocol: issued
            ? { version: issued.version, issuedAt: issued.manifest.issuedAt, manifestSha256: issued.manifestSha256, protocolSha256: issued.manifest.protocol, signatures: this.signatureRecords(m, issued).length }
            : null,
        },
      };
    });
  }

  private async build(m: Meeting, o: { version: number; draft: boolean; issuedAt: number }): Promise<{ protocol: Protocol; problems: string[] }> {
    const agenda = readAgenda(m.docs.agenda);
    const shas = [...new Set(agenda.flatMap((a) => a.documents))];
    const blobs = await Promise.all(shas.map((s) => this.hub.storage.getBlob(s)));
    const documents = new Map<string, { name: string; type: string; size: number }>();
    blobs.forEach((b, i) => b && documents.set(shas[i]!, { name: b.name, type: b.type, size: b.size }));
    const organizer = await this.hub.storage.getUser(m.record.organizerUserId);
    const [orgKey, hubKey] = await Promise.all([this.keys.organizer(m.record.organizerUserId), this.keys.hub()]);
    // The inputs are read in one synchronous step after the awaits, so they describe one moment.
    const built = buildProtocol({
      meeting: m.record,
      organizerName: organizer?.name ?? m.record.organizerUserId,
      publicUrl: this.opts.publicUrl(),
      platform: PLATFORM,
      register: m.register,
      participants: readParticipants(m.docs.participants),
      agenda: readAgenda(m.docs.agenda),
      questions: readQuestions(m.docs.agenda),
      ledger: [...m.voting.ballots],
      audit: [...m.audit.all],
      documents,
      issuedAt: o.issuedAt,
      version: o.version,
      draft: o.draft,
      timeZone: this.timeZone,
      organizerKid: orgKey.kid,
      hubKid: hubKey.kid,
    });
    // Render from the canonical form, exactly as a verifier reads it back.
    return { protocol: ProtocolSchema.parse(JSON.parse(canonicalJson(built.protocol))), problems: built.problems };
  }

  /** The protocol JSON (canonical) of the issued protocol, or a draft preview when none is issued (organizer only). */
  async json(id: string, claims: SessionClaims): Promise<Outcome<{ bytes: Uint8Array; draft: boolean }>> {
    return this.using(id, async (m) => {
      const issued = this.issued(m);
      if (issued) return this.blob(issued.manifest, BUNDLE.protocol).then((b) => (b.ok ? { ok: true, value: { bytes: b.value, draft: false } } : b));
      if (claims.role !== 'organizer') return refuse(404, 'The protocol has not been issued yet.');
      const { protocol } = await this.build(m, { version: 0, draft: true, issuedAt: this.clock() });
      return { ok: true, value: { bytes: new TextEncoder().encode(canonicalJson(protocol)), draft: true } };
    });
  }

  /** The PDF in a language: the issued one, or a draft preview (organizer only). */
  async pdf(id: string, claims: SessionClaims, lang: Lang): Promise<Outcome<{ bytes: Uint8Array; draft: boolean }>> {
    return this.using(id, async (m) => {
      const issued = this.issued(m);
      if (issued) return this.blob(issued.manifest, BUNDLE.pdf(lang)).then((b) => (b.ok ? { ok: true, value: { bytes: b.value, draft: false } } : b));
      if (claims.role !== 'organizer') return refuse(404, 'The protocol has not been issued yet.');
      const { protocol } = await this.build(m, { version: 0, draft: true, issuedAt: this.clock() });
      return { ok: true, value: { bytes: await renderProtocolPdf(protocol, lang), draft: true } };
    });
  }

  private async blob(manifest: Manifest, name: string): Promise<Outcome<Uint8Array>> {
    const f = manifest.files[name];
    const b = f ? await this.hub.storage.getBlob(f.sha256) : null;
    if (!b || sha256(b.data) !== f?.sha256) return refuse(500, `The stored ${name} of the protocol is missing or damaged.`);
    return { ok: true, value: b.data };
  }

  /** Issues the protocol: draws it up, renders the PDFs, stores them and records the manifest in the audit log. */
  async issue(id: string, by: SessionClaims): Promise<Outcome<{ version: number; manifest: Manifest; manifestSha256: string }>> {
    return this.using(id, async (m) => {
      if (readMeta(m.docs.agenda)?.status !== 'closed') return refuse(409, 'Close the meeting before issuing its protocol.');
      const open = readQuestions(m.docs.agenda).filter((q) => q.status === 'open');
      if (open.length > 0) return refuse(409, `Votes still open: ${open.map((q) => q.question.title ?? q.id).join('; ')}. Close or cancel them first.`);
      const version = (this.issued(m)?.version ?? 0) + 1;
      const issuedAt = this.clock();
      const { protocol, problems } = await this.build(m, { version, draft: false, issuedAt });
      if (problems.length > 0) return refuse(409, 'The protocol contradicts the ledger or the audit log; it was not issued.', problems);
      const json = new TextEncoder().encode(canonicalJson(protocol));
      const files: Record<string, { bytes: Uint8Array; type: string }> = { [BUNDLE.protocol]: { bytes: json, type: 'application/json' } };
      for (const lang of LANGS) files[BUNDLE.pdf(lang)] = { bytes: await renderProtocolPdf(protocol, lang), type: 'application/pdf' };
      for (const [name, f] of Object.entries(files)) {
        await this.hub.storage.putBlob({ sha256: sha256(f.bytes), type: f.type, size: f.bytes.byteLength, name: `${id}-v${version}-${name}`, data: f.bytes });
      }
      const manifest: Manifest = {
        format: MANIFEST_FORMAT,
        meetingId: id,
        version,
        issuedAt,
        files: Object.fromEntries(Object.entries(files).map(([name, f]) => [name, { sha256: sha256(f.bytes), size: f.bytes.byteLength }])),
        protocol: sha256(json),
        auditHead: protocol.chain.auditHead,
        auditSeq: protocol.chain.auditSeq,
        ledgerHead: protocol.chain.ledgerHead,
        ledgerSeq: protocol.chain.ledgerSeq,
        renderer: RENDERER,
      };
      const manifestSha256 = sha256(canonicalJson(manifest));
      // Nothing may have happened while the files were rendered: the protocol must describe the head it names.
      if (m.audit.head !== protocol.chain.auditHead || m.voting.ledgerHead !== protocol.chain.ledgerHead) {
        return refuse(409, 'The meeting changed while the protocol was being drawn up; issue it again.');
      }
      const rec = await this.record(m, 'protocol.issued', { version, manifestSha256, manifest, by: by.userId });
      if (!rec.ok) return rec;
      this.hub.log.info({ meeting: id, version, manifest: manifestSha256 }, 'protocol issued');
      return { ok: true, value: { version, manifest, manifestSha256 } };
    });
  }

  /**
   * Appends an audit event and makes it durable now, with a visible change the clients follow (the
   * protocol's state in the agenda's meeting map). Only a record read back from storage counts: a
   * meeting unloaded or broken meanwhile gives a refusal to retry, never a false "signed".
   */
  private async record(m: Meeting, type: string, data: object): Promise<Outcome<AuditRecord>> {
    let rec: AuditRecord | null = null;
    await m.systemChange((docs) => {
      const at = this.clock();
      rec = m.audit.record(type, data, at);
      const issued = this.issued(m);
      Layout.meeting(docs.agenda).set('protocol', issued ? { version: issued.version, manifest: issued.manifestSha256, signatures: this.signatureRecords(m, issued).length, updatedAt: at } : null);
    });
    const written = rec as AuditRecord | null;
    const stored = written ? (await this.hub.storage.loadAudit(m.id))[written.seq - 1] : undefined;
    if (!written || stored?.hash !== written.hash) return refuse(503, 'The record was not saved (the meeting was reloading); retry.');
    return { ok: true, value: written };
  }

  /** The issued protocol, still describing the meeting as it is now. */
  private current(m: Meeting): Outcome<Issued> {
    const issued = this.issued(m);
    if (!issued) return refuse(409, 'The protocol has not been issued yet.');
    const later = m.audit.all.slice(issued.manifest.auditSeq).filter((r) => PROTOCOL_FACT_EVENTS.has(r.type));
    if (later.length > 0) return refuse(409, `The meeting changed after the protocol was issued (${later[0]!.type}); issue the protocol again.`);
    return { ok: true, value: issued };
  }

  private signatureRecords(m: Meeting, issued: Issued): AuditRecord[] {
    return m.audit.all.filter((r) => (r.type === 'signature.key' || r.type === 'signature.code' || r.type === 'scan.attached') && (r.data as { manifest?: unknown }).manifest === issued.manifestSha256);
  }

  private signerOf(claims: SessionClaims): Signer {
    return { userId: claims.userId, name: claims.name, role: claims.role, rows: claims.rows };
  }

  /** The organizer signs the issued protocol's manifest with their key (idempotent per issue). */
  async sign(id: string, claims: SessionClaims): Promise<Outcome<{ kid: string; jws: string; auditSeq: number }>> {
    return this.using(id, async (m) => {
      if (claims.userId !== m.record.organizerUserId) return refuse(403, 'Only the organizer named in the protocol signs it with a key; others co-sign with a one-time code.');
      const cur = this.current(m);
      if (!cur.ok) return cur;
      const key = await this.keys.organizer(claims.userId);
      const payload: SignaturePayload = {
        typ: SIGNATURE_FORMAT,
        meetingId: id,
        manifest: cur.value.manifestSha256,
        protocol: cur.value.manifest.protocol,
        method: 'key',
        signer: this.signerOf(claims),
        signedAt: this.clock(),
      };
      const jws = await signJws(key, payload);
      // Checked again after the await: a concurrent request may have signed or re-issued meanwhile.
      const again = this.current(m);
      if (!again.ok) return again;
      if (again.value.manifestSha256 !== cur.value.manifestSha256) return refuse(409, 'The protocol was re-issued meanwhile; review and sign the new issue.');
      const existing = this.signatureRecords(m, again.value).find((r) => r.type === 'signature.key' && (r.data as { signer?: { userId?: unknown } }).signer?.userId === claims.userId);
      if (existing) return { ok: true, value: { kid: key.kid, jws: String((existing.data as { jws: unknown }).jws), auditSeq: existing.seq } };
      const rec = await this.record(m, 'signature.key', { manifest: payload.manifest, protocol: payload.protocol, signer: payload.signer, kid: key.kid, jws });
      return rec.ok ? { ok: true, value: { kid: key.kid, jws, auditSeq: rec.value.seq } } : rec;
    });
  }

  /** Sends a one-time code to a creditor's registered address to co-sign the issued protocol. */
  async requestCode(id: string, claims: SessionClaims, channel?: 'email' | 'sms'): Promise<Outcome<{ challengeId: string; expiresAt: number; channel: string; sentTo: string; manifest: string }>> {
    if (claims.role !== 'voter' && claims.role !== 'representative') return refuse(403, 'Creditors and their representatives co-sign with a one-time code; the organizer signs with a key.');
    return this.using(id, async (m) => {
      const cur = this.current(m);
      if (!cur.ok) return cur;
      if (this.signedByCode(m, cur.value, claims.userId)) return refuse(409, 'You have already signed this protocol.');
      const contact = await this.contactOf(m, claims, channel);
      if (!contact) return refuse(422, `No registered ${channel === 'sms' ? 'phone number' : channel === 'email' ? 'e-mail address' : 'e-mail address or phone number'} to send a code to. Ask the organizer to update the register.`);
      const now = this.clock();
      const sentTo = maskAddress(contact.channel, contact.to);
      const issued = await this.codes.issue({ meetingId: id, userId: claims.userId, manifest: cur.value.manifestSha256, channel: contact.channel, sentTo }, now);
      if (!issued.ok) return issued;
      const minutes = Math.round(this.codes.limits.ttlMs / 60_000);
      try {
        await this.hub.messages.send({
          channel: contact.channel,
          to: contact.to,
          subject: `Код подписи протокола: ${m.record.title}`,
          text:
            `Код для подписания протокола собрания «${m.record.title}» (выпуск № ${cur.value.version}): ${issued.code}\n` +
            `Код действует ${minutes} мин. Вводя его, вы подписываете протокол простой электронной подписью; ` +
            `SHA-256 протокола: ${cur.value.manifest.protocol}.\nНикому не сообщайте этот код.`,
          purpose: 'signature-code',
          meetingId: id,
          sensitive: true,
        });
      } catch (err) {
        this.hub.log.warn({ err: err instanceof Error ? err.message : String(err), meeting: id, channel: contact.channel }, 'signature code not sent');
        return refuse(502, 'The code could not be sent; try again in a minute.');
      }
      return { ok: true, value: { challengeId: issued.id, expiresAt: issued.expiresAt, channel: contact.channel, sentTo, manifest: cur.value.manifestSha256 } };
    });
  }

  private signedByCode(m: Meeting, issued: Issued, userId: string): boolean {
    return this.signatureRecords(m, issued).some((r) => r.type === 'signature.code' && (r.data as { signer?: { userId?: unknown } }).signer?.userId === userId);
  }

  /** The signer's registered address: their own, else that of their register rows; never one from the request. */
  private async contactOf(m: Meeting, claims: SessionClaims, channel?: 'email' | 'sms'): Promise<{ channel: 'email' | 'sms'; to: string } | null> {
    const user = await this.hub.storage.getUser(claims.userId);
    const rows = m.register.filter((r) => claims.rows.includes(r.id));
    const email = user?.email ?? rows.find((r) => r.email)?.email ?? null;
    const phone = user?.phone ?? rows.find((r) => r.phone)?.phone ?? null;
    if (channel !== 'sms' && email) return { channel: 'email', to: email };
    if (channel !== 'email' && phone) return { channel: 'sms', to: phone };
    return null;
  }

  /** Confirms a one-time code: the creditor's simple electronic signature, attested by the hub's key and audited. */
  async confirmCode(id: string, claims: SessionClaims, challengeId: string, code: string): Promise<Outcome<{ auditSeq: number; jws: string; signedAt: number }>> {
    return this.using(id, async (m) => {
      const cur = this.current(m);
      if (!cur.ok) return cur;
      const now = this.clock();
      const known = (await this.hub.storage.recentSignatureCodes(id, claims.userId, 0)).find((c) => c.id === challengeId);
      if (!known) return refuse(404, 'No such code for you. Ask for a new one.');
      if (known.manifest !== cur.value.manifestSha256) return refuse(409, 'The protocol was re-issued after this code was sent; review the new issue and ask for a new code.');
      const spent = await this.codes.confirm(challengeId, claims.userId, code, now);
      if (!spent.ok) {
        this.hub.log.warn({ meeting: id, userId: claims.userId, challengeId, status: spent.status }, 'signature code refused');
        return spent;
      }
      const hubKey: SigningKey = await this.keys.hub();
      const payload: SignaturePayload = {
        typ: SIGNATURE_FORMAT,
        meetingId: id,
        manifest: cur.value.manifestSha256,
        protocol: cur.value.manifest.protocol,
        method: 'code',
        signer: this.signerOf(claims),
        signedAt: now,
        code: { id: challengeId, channel: spent.record.channel, sentTo: spent.record.sentTo, requestedAt: spent.record.createdAt },
      };
      const jws = await signJws(hubKey, payload);
      if (this.signedByCode(m, cur.value, claims.userId)) return refuse(409, 'You have already signed this protocol.');
      const rec = await this.record(m, 'signature.code', {
        manifest: payload.manifest,
        protocol: payload.protocol,
        signer: payload.signer,
        kid: hubKey.kid,
        codeId: challengeId,
        channel: spent.record.channel,
        sentTo: spent.record.sentTo,
        requestedAt: spent.record.createdAt,
        jws,
      });
      return rec.ok ? { ok: true, value: { auditSeq: rec.value.seq, jws, signedAt: now } } : rec;
    });
  }

  /** The organizer attaches a signed paper scan of the issued protocol, with the reason. */
  async attachScan(id: string, claims: SessionClaims, data: Uint8Array, name: string, reason: string): Promise<Outcome<{ sha256: string; type: string; size: number; auditSeq: number }>> {
    if (data.byteLength === 0) return refuse(422, 'The scan is empty.');
    if (data.byteLength > MAX_SCAN_BYTES) return refuse(413, `Scans are limited to ${MAX_SCAN_BYTES / 1024 / 1024} MB.`);
    const type = sniffScan(data);
    if (!type) return refuse(415, 'A scan must be a PDF, PNG or JPEG file.');
    const why = reason.trim();
    if (why.length < 3 || why.length > 2000) return refuse(422, 'Give the reason for the paper signature (3 to 2000 characters), e.g. "the organizer\u2019s key is unavailable".');
    return this.using(id, async (m) => {
      const cur = this.current(m);
      if (!cur.ok) return cur;
      const hash = sha256(data);
      await this.hub.storage.putBlob({ sha256: hash, type, size: data.byteLength, name: name.slice(0, 300) || 'scan', data });
      const rec = await this.record(m, 'scan.attached', { manifest: cur.value.manifestSha256, sha256: hash, type, size: data.byteLength, name: name.slice(0, 300), reason: why, by: claims.userId });
      return rec.ok ? { ok: true, value: { sha256: hash, type, size: data.byteLength, auditSeq: rec.value.seq } } : rec;
    });
  }

  /** The signatures of the issued protocol as signatures.json lists them. */
  signatures(m: Meeting, issued: Issued): SignatureEntry[] {
    return this.signatureRecords(m, issued).map((r): SignatureEntry => {
      const d = r.data as Record<string, unknown>;
      if (r.type === 'scan.attached') {
        const type = String(d['type']);
        return {
          kind: 'scan',
          auditSeq: r.seq,
          sha256: String(d['sha256']),
          file: `${BUNDLE.scansDir}${String(d['sha256'])}.${extension(type)}`,
          type,
          name: String(d['name']),
          reason: String(d['reason']),
          by: String(d['by']),
          manifest: typeof d['manifest'] === 'string' ? d['manifest'] : null,
          at: r.at,
        };
      }
      return { kind: r.type === 'signature.key' ? 'key' : 'code', auditSeq: r.seq, kid: String(d['kid']), jws: String(d['jws']) };
    });
  }

  /** Lists the issued protocol's signatures (for participants' screens). */
  async listSignatures(id: string): Promise<Outcome<{ manifest: string; signatures: SignatureEntry[] }>> {
    return this.using(id, async (m) => {
      const issued = this.issued(m);
      if (!issued) return refuse(404, 'The protocol has not been issued yet.');
      return { ok: true, value: { manifest: issued.manifestSha256, signatures: this.signatures(m, issued) } };
    });
  }

  /** The public keys that verify this meeting's protocol signatures. */
  async meetingJwks(id: string): Promise<Outcome<object>> {
    const record = await this.hub.storage.getMeeting(id);
    if (!record) return refuse(404, 'No such meeting.');
    return { ok: true, value: await this.keys.jwks([await this.keys.organizer(record.organizerUserId), await this.keys.hub()]) };
  }

  /** Packs the bundle of the issued protocol. */
  async bundle(id: string): Promise<Outcome<{ bytes: Uint8Array; version: number }>> {
    return this.using(id, async (m) => {
      const issued = this.issued(m);
      if (!issued) return refuse(409, 'The protocol has not been issued yet.');
      const json = await this.blob(issued.manifest, BUNDLE.protocol);
      if (!json.ok) return json;
      const protocol = ProtocolSchema.parse(JSON.parse(new TextDecoder().decode(json.value)));
      const files: Record<string, Uint8Array | string> = {
        [BUNDLE.readme]: bundleReadme(id, m.record.title),
        [BUNDLE.manifest]: `${canonicalJson(issued.manifest)}\n`,
        [BUNDLE.protocol]: json.value,
      };
      for (const name of Object.keys(issued.manifest.files)) {
        if (name === BUNDLE.protocol) continue;
        const b = await this.blob(issued.manifest, name);
        if (!b.ok) return b;
        files[name] = b.value;
      }
      // Both logs are copied whole and at one moment (synchronously), so their heads are consistent.
      const ledger = [...m.voting.ballots];
      const audit = [...m.audit.all];
      files[BUNDLE.ledger] = toJsonLines(ledger);
      files[BUNDLE.audit] = toJsonLines(audit);
      const signatures = this.signatures(m, issued);
      files[BUNDLE.signatures] = `${JSON.stringify(signatures, null, 2)}\n`;
      for (const s of signatures) {
        if (s.kind !== 'scan') continue;
        const b = await this.hub.storage.getBlob(s.sha256);
        if (!b) return refuse(500, `The stored scan ${s.sha256} is missing.`);
        files[s.file] = b.data;
      }
      files[BUNDLE.jwks] = `${JSON.stringify(await this.keys.jwks([await this.keys.organizer(m.record.organizerUserId), await this.keys.hub()]), null, 2)}\n`;
      files[BUNDLE.documents] = `${JSON.stringify(protocol.items.flatMap((i) => i.documents), null, 2)}\n`;
      files[BUNDLE.register] = `${JSON.stringify(protocol.register.rows, null, 2)}\n`;
      return { ok: true, value: { bytes: packBundle(files, this.clock()), version: issued.version } };
    });
  }
}

function sniffScan(b: Uint8Array): string | null {
  const head = (n: number) => Buffer.from(b.subarray(0, n));
  if (head(5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (head(8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  return null;
}

function extension(type: string): string {
  return type === 'application/pdf' ? 'pdf' : type === 'image/png' ? 'png' : type === 'image/jpeg' ? 'jpg' : 'bin';
}
