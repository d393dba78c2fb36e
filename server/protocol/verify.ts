/**
 * The offline verifier: checks a protocol bundle without the platform or its database. It
 * re-checks both hash chains, binds every ballot to its audit record, verifies every signature
 * with the keys in the bundle (or pinned ones), recomputes every tally from the ledger with the
 * rules engine and compares it with protocol.json and the audit log, checks the files against the
 * signed manifest, and re-renders the PDFs to compare them byte for byte.
 */
import * as jose from 'jose';
import { z } from 'zod';
import { strFromU8 } from 'fflate';
import { canonicalJson } from '../../shared/canonical.ts';
import { describeIssues } from '../../shared/voting/index.ts';
import { auditBody, ballotBody, sha256, verifyChain } from '../ledger/chain.ts';
import { BUNDLE, fromJsonLines } from './bundle.ts';
import {
  PROTOCOL_EVENTS,
  PROTOCOL_FACT_EVENTS,
  AuditRecordSchema,
  LedgerRecordSchema,
  ManifestSchema,
  ProtocolDocumentSchema,
  ProtocolRegisterRowSchema,
  ProtocolSchema,
  SignatureEntrySchema,
  SignaturePayloadSchema,
  type Manifest,
  type Protocol,
  type SignatureEntry,
} from './model.ts';
import { meetingQuorum, presentRowsBefore, questionEvent, questionFacts, questionVersion, recomputeTally, registerTotals, sameJson } from './facts.ts';
import { RENDERER, renderProtocolPdf } from './pdf/renderProtocol.ts';
import { LANGS } from './i18n.ts';
import { SIGNATURE_ALG } from './keys.ts';

/** One line of the report. */
export interface Check {
  status: 'ok' | 'fail' | 'skip';
  /** What was checked ("ledger", "tally 2.1", "signature 3"...). */
  name: string;
  detail: string;
}

/** Options: keys obtained elsewhere (e.g. the hub's published JWKS) that the bundle's keys must match. */
export interface VerifyOptions {
  pinnedKeys?: jose.JWK[];
  /** Re-render the PDFs and compare bytes (on by default). */
  rerender?: boolean;
}

const MAX_LINES_PER_CHECK = 6;

type Ledger = z.infer<typeof LedgerRecordSchema>;
type Audit = z.infer<typeof AuditRecordSchema>;

/** Verifies an unpacked bundle; returns one check per line of the report (any 'fail' means the bundle is not sound). */
export async function verifyBundle(files: ReadonlyMap<string, Uint8Array>, opts: VerifyOptions = {}): Promise<Check[]> {
  const out: Check[] = [];
  const ok = (name: string, detail: string) => out.push({ status: 'ok', name, detail });
  const fail = (name: string, detail: string) => out.push({ status: 'fail', name, detail });
  const skip = (name: string, detail: string) => out.push({ status: 'skip', name, detail });
  const failAll = (name: string, details: readonly string[]) => {
    details.slice(0, MAX_LINES_PER_CHECK).forEach((d) => fail(name, d));
    if (details.length > MAX_LINES_PER_CHECK) fail(name, `… and ${details.length - MAX_LINES_PER_CHECK} more problems of the same kind`);
  };

  // ---- files --------------------------------------------------------------------------------
  const required = [BUNDLE.manifest, BUNDLE.protocol, BUNDLE.ledger, BUNDLE.audit, BUNDLE.signatures, BUNDLE.jwks, BUNDLE.register, BUNDLE.documents];
  const missing = required.filter((f) => !files.has(f));
  if (missing.length > 0) fail('files', `missing from the bundle: ${missing.join(', ')}`);
  else ok('files', `${files.size} files, all required ones present`);

  const json = <S extends z.ZodType>(file: string, schema: S): z.output<S> | null => {
    const bytes = files.get(file);
    if (!bytes) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(strFromU8(bytes));
    } catch {
      fail(file, 'is not valid JSON');
      return null;
    }
    const p = schema.safeParse(raw);
    if (!p.success) {
      fail(file, `is not in the expected shape: ${describeIssues(p.error).split('\n').slice(0, 3).join('; ')}`);
      return null;
    }
    return p.data;
  };
  const lines = <S extends z.ZodType>(file: string, schema: S): z.output<S>[] | null => {
    const bytes = files.get(file);
    if (!bytes) return null;
    const parsed = fromJsonLines(bytes);
    if (!parsed.ok) {
      fail(file, parsed.message);
      return null;
    }
    const recs: z.output<S>[] = [];
    for (const [i, r] of parsed.records.entries()) {
      const p = schema.safeParse(r);
      if (!p.success) {
        fail(file, `line ${i + 1} is not a record: ${describeIssues(p.error).split('\n')[0]}`);
        return null;
      }
      recs.push(p.data);
    }
    return recs;
  };

  const manifest = json(BUNDLE.manifest, ManifestSchema);
  const protocolBytes = files.get(BUNDLE.protocol);
  const protocol = json(BUNDLE.protocol, ProtocolSchema);
  const ledger = lines(BUNDLE.ledger, LedgerRecordSchema);
  const audit = lines(BUNDLE.audit, AuditRecordSchema);
  const signatures = json(BUNDLE.signatures, SignatureEntrySchema.array());
  const jwks = json(BUNDLE.jwks, JwksSchema);
  const register = json(BUNDLE.register, ProtocolRegisterRowSchema.array());
  const documents = json(BUNDLE.documents, ProtocolDocumentSchema.array());

  // ---- the manifest: hashes of the files it covers --------------------------------------------
  if (manifest && protocolBytes) {
    const text = strFromU8(protocolBytes);
    const h = sha256(protocolBytes);
    let canonical = false;
    try {
      canonical = canonicalJson(JSON.parse(text)) === text;
    } catch {
      canonical = false;
    }
    if (h !== manifest.protocol) fail('manifest', `protocol.json has SHA-256 ${h}, but the manifest (and so the signatures) covers ${manifest.protocol}: protocol.json was changed`);
    else if (!canonical) fail('manifest', 'protocol.json is not in canonical JSON form, so its hash is not the protocol\u2019s hash');
    else ok('manifest', `protocol.json SHA-256 ${h} matches the manifest`);
    for (const [name, f] of Object.entries(manifest.files)) {
      if (name === BUNDLE.protocol && f.sha256 === manifest.protocol) continue;
      const bytes = files.get(name);
      if (!bytes) {
        fail('manifest', `${name} is listed in the manifest but missing from the bundle`);
        continue;
      }
      const fh = sha256(bytes);
      if (fh !== f.sha256 || bytes.byteLength !== f.size) fail('manifest', `${name} has SHA-256 ${fh} (${bytes.byteLength} bytes), but the manifest says ${f.sha256} (${f.size} bytes): ${name} was changed`);
      else ok('manifest', `${name} SHA-256 ${fh} matches`);
    }
    if (!manifest.files[BUNDLE.protocol]) fail('manifest', 'the manifest does not list protocol.json');
    if (protocol) {
      const mismatches = (
        [
          ['meeting', manifest.meetingId, protocol.meeting.id],
          ['version', manifest.version, protocol.version],
          ['audit head', manifest.auditHead, protocol.chain.auditHead],
          ['audit sequence', manifest.auditSeq, protocol.chain.auditSeq],
          ['ledger head', manifest.ledgerHead, protocol.chain.ledgerHead],
          ['ledger sequence', manifest.ledgerSeq, protocol.chain.ledgerSeq],
        ] as const
      ).filter(([, a, b]) => a !== b);
      if (mismatches.length > 0) failAll('manifest', mismatches.map(([what, a, b]) => `the manifest's ${what} (${a}) differs from protocol.json's (${b})`));
      if (protocol.draft) fail('protocol', 'protocol.json is a draft, not an issued protocol');
    }
  }

  const meetingId = protocol?.meeting.id ?? manifest?.meetingId ?? '';

  // ---- the chains -----------------------------------------------------------------------------
  if (ledger) {
    const problems = verifyChain(ledger, (r) => ballotBody(meetingId, r));
    if (problems.length > 0) failAll('ledger', problems.map((p) => `ledger.jsonl ${p.message}`));
    else ok('ledger', `${ledger.length} ballots, hash chain intact, head ${ledger.at(-1)?.hash ?? '(empty)'}`);
    if (protocol) {
      const head = protocol.chain.ledgerSeq === 0 ? '0'.repeat(64) : ledger[protocol.chain.ledgerSeq - 1]?.hash;
      if (head !== protocol.chain.ledgerHead) fail('ledger', `the protocol's ledger head ${protocol.chain.ledgerHead} (record ${protocol.chain.ledgerSeq}) is not in ledger.jsonl`);
      else if (ledger.length !== protocol.chain.ledgerSeq) fail('ledger', `ledger.jsonl has ${ledger.length - protocol.chain.ledgerSeq} ballots after the protocol was made`);
      else ok('ledger', `the protocol's ledger head is the last ballot (record ${protocol.chain.ledgerSeq})`);
    }
  }
  if (audit) {
    const problems = verifyChain(audit, (r) => auditBody(meetingId, r));
    if (problems.length > 0) failAll('audit', problems.map((p) => `audit.jsonl ${p.message}`));
    else ok('audit', `${audit.length} events, hash chain intact, head ${audit.at(-1)?.hash ?? '(empty)'}`);
    if (protocol) {
      const at = protocol.chain.auditSeq;
      const head = at === 0 ? '0'.repeat(64) : audit[at - 1]?.hash;
      if (head !== protocol.chain.auditHead) fail('audit', `the protocol's audit head ${protocol.chain.auditHead} (record ${at}) is not in audit.jsonl`);
      else {
        const after = audit.slice(at);
        const changes = after.filter((r) => PROTOCOL_FACT_EVENTS.has(r.type));
        const own = after.filter((r) => PROTOCOL_EVENTS.has(r.type)).length;
        const others = [...new Set(after.filter((r) => !PROTOCOL_EVENTS.has(r.type) && !PROTOCOL_FACT_EVENTS.has(r.type)).map((r) => r.type))];
        if (changes.length > 0) failAll('audit', changes.map((r) => `record ${r.seq} (${r.type}) changed the meeting after the protocol was made: the protocol is out of date`));
        else ok('audit', `the protocol's audit head is record ${at}; of ${after.length} later events ${own} issue, sign or attach the protocol${others.length ? `, the rest (${others.join(', ')}) do not change it` : ''}`);
      }
    }
  }
  if (ledger && audit) checkBallotLinks(ledger, audit, ok, failAll);

  // ---- the register, the questions and their tallies --------------------------------------------
  if (protocol && register) {
    const totals = registerTotals(register);
    const issues: string[] = [];
    if (!sameJson(register, protocol.register.rows)) issues.push('register.json differs from the register in protocol.json');
    if (totals.sha256 !== protocol.register.sha256) issues.push(`the register hashes to ${totals.sha256}, protocol.json says ${protocol.register.sha256}`);
    for (const k of ['total', 'voting', 'secured'] as const) if (totals[k] !== protocol.register[k]) issues.push(`the register's ${k} is ${totals[k]}, protocol.json says ${protocol.register[k]}`);
    if (issues.length > 0) failAll('register', issues);
    else ok('register', `${register.length} claims, total ${totals.total}, voting ${totals.voting}, secured ${totals.secured}`);
  }
  // A check that throws on hostile input reports a failure instead of stopping the others.
  const guarded = async (name: string, fn: () => void | Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      fail(name, `could not be checked: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  if (protocol && ledger && audit) {
    await guarded('quorum', () => checkOpening(protocol, audit, ok, fail));
    for (const item of protocol.items) for (const q of item.questions) await guarded(`tally ${q.number}`, () => checkQuestion(protocol, q, ledger, audit, ok, failAll));
  }
  if (protocol && documents && audit) await guarded('documents', () => checkDocuments(protocol, documents, audit, ok, failAll));

  // ---- signatures ---------------------------------------------------------------------------------
  if (manifest && protocol && signatures && jwks && audit) await guarded('signatures', () => checkSignatures(manifest, protocol, signatures, jwks.keys, audit, files, opts, ok, fail));
  else skip('signatures', 'not checked: the manifest, protocol, signatures, keys or audit log could not be read');

  // ---- the PDFs are the rendering of the JSON ---------------------------------------------------------
  if (manifest && protocolBytes && protocol && opts.rerender !== false) {
    if (manifest.renderer !== RENDERER) {
      skip('pdf', `not re-rendered: made by "${manifest.renderer}", this verifier has "${RENDERER}" (the PDFs' hashes are still checked above)`);
    } else {
      const raw = JSON.parse(strFromU8(protocolBytes)) as Protocol;
      for (const lang of LANGS) {
        const name = BUNDLE.pdf(lang);
        const bytes = files.get(name);
        if (!bytes) continue;
        await guarded('pdf', async () => {
          const at = firstDifference(await renderProtocolPdf(raw, lang), bytes);
          if (at === -1) ok('pdf', `${name} is exactly the rendering of protocol.json`);
          else fail('pdf', `${name} is not the rendering of protocol.json (bytes differ from offset ${at})`);
        });
      }
    }
  }
  return out;
}

/** A JWKS as the bundle carries it: Ed25519 public keys with their ids. */
const JwksSchema = z.object({
  keys: z.array(z.looseObject({ kty: z.string(), crv: z.string().optional(), x: z.string().optional(), kid: z.string().optional(), alg: z.string().optional() })),
});

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.byteLength === b.byteLength ? -1 : n;
}

type Ok = (name: string, detail: string) => void;
type FailAll = (name: string, details: readonly string[]) => void;

/** Every ballot has exactly one "ballot.accepted" audit record naming it, and every such record names a ballot. */
function checkBallotLinks(ledger: readonly Ledger[], audit: readonly Audit[], ok: Ok, failAll: FailAll): void {
  const accepted = audit.filter((r) => r.type === 'ballot.accepted');
  const bySeq = new Map<number, Audit[]>();
  for (const r of accepted) {
    const seq = (r.data as { seq?: unknown }).seq;
    if (typeof seq === 'number') bySeq.set(seq, [...(bySeq.get(seq) ?? []), r]);
  }
  const issues: string[] = [];
  for (const b of ledger) {
    const recs = bySeq.get(b.seq) ?? [];
    const d = recs[0]?.data as { hash?: unknown; questionId?: unknown; row?: unknown; choice?: unknown } | undefined;
    if (recs.length === 0) issues.push(`ballot ${b.seq} (${b.questionId}, row ${b.row}) has no "ballot.accepted" record in the audit log`);
    else if (recs.length > 1) issues.push(`ballot ${b.seq} has ${recs.length} "ballot.accepted" records in the audit log`);
    else if (d?.hash !== b.hash || d.questionId !== b.questionId || d.row !== b.row) issues.push(`ballot ${b.seq} differs from its "ballot.accepted" audit record ${recs[0]!.seq} (hash, question or row)`);
    // Open votes also record the choice in the audit log.
    else if (d.choice !== undefined && !sameJson(d.choice, b.choice)) issues.push(`ballot ${b.seq} has choice ${canonicalJson(b.choice).slice(0, 40)}, its "ballot.accepted" audit record ${recs[0]!.seq} says ${canonicalJson(d.choice).slice(0, 40)}`);
  }
  const seqs = new Set(ledger.map((b) => b.seq));
  for (const r of accepted) {
    const seq = (r.data as { seq?: unknown }).seq;
    if (typeof seq !== 'number' || !seqs.has(seq)) issues.push(`audit record ${r.seq} accepted ballot ${String(seq)}, which is missing from ledger.jsonl`);
  }
  if (issues.length > 0) failAll('ballots', issues);
  else ok('ballots', `each of ${ledger.length} ballots matches its "ballot.accepted" audit record`);
}

function checkOpening(p: Protocol, audit: readonly Audit[], ok: Ok, fail: (n: string, d: string) => void): void {
  const opened = audit.find((r) => r.type === 'meeting.status' && (r.data as { status?: unknown }).status === 'open');
  if (!opened) {
    if (p.quorumAtOpening !== null) fail('quorum', 'protocol.json gives a quorum at the opening, but the audit log has no opening');
    else ok('quorum', 'the meeting was not opened in person; no opening quorum');
    return;
  }
  const q = { at: opened.at, ...meetingQuorum(p.register.rows, presentRowsBefore(audit, opened.seq)) };
  if (!sameJson(q, p.quorumAtOpening)) fail('quorum', `at the opening (audit record ${opened.seq}) the admitted held ${q.present} of ${q.total}; protocol.json says ${p.quorumAtOpening?.present ?? 'nothing'} of ${p.quorumAtOpening?.total ?? '-'}`);
  else ok('quorum', `at the opening: ${q.present} of ${q.total} present, quorum ${q.reached ? 'reached' : 'not reached'} (replayed from the audit log)`);
}

function checkQuestion(p: Protocol, q: Protocol['items'][number]['questions'][number], ledger: readonly Ledger[], audit: readonly Audit[], ok: Ok, failAll: FailAll): void {
  const name = `tally ${q.number}`;
  const issues: string[] = [];
  const version = questionVersion(q.definition);
  if (version !== q.version) issues.push(`the question's wording hashes to ${version}, not to its version ${q.version}: the wording in protocol.json was changed`);
  const facts = questionFacts(ledger, audit, q.id, q.version);
  const present = [...facts.present].sort();
  if (!sameJson(present, [...q.present].sort())) issues.push(`present rows replayed from the audit log (${present.join(', ')}) differ from protocol.json (${q.present.join(', ')})`);
  const opened = questionEvent(audit, 'vote.opened', q.id);
  const openQuorum = (opened?.data as { quorum?: unknown } | undefined)?.quorum ?? null;
  if (!sameJson(openQuorum, q.quorumAtOpen)) issues.push('the quorum at the opening of the vote differs from the audit log');
  const listed = q.ballots.map((b) => ({ seq: b.seq, hash: b.hash, row: b.row, userId: b.userId, choice: b.choice, at: b.at }));
  const counting = [...facts.counting.values()].map((b) => ({ seq: b.seq, hash: b.hash, row: b.row, userId: b.userId, choice: b.choice, at: b.at }));
  const bySeq = (a: { seq: number }, b: { seq: number }) => a.seq - b.seq;
  if (!sameJson([...listed].sort(bySeq), [...counting].sort(bySeq))) {
    const inLedger = new Set(counting.map((b) => b.hash));
    const inProtocol = new Set(listed.map((b) => b.hash));
    const extra = listed.filter((b) => !inLedger.has(b.hash)).map((b) => b.seq);
    const lost = counting.filter((b) => !inProtocol.has(b.hash)).map((b) => b.seq);
    const byHash = new Map(counting.map((b) => [b.hash, b]));
    const differ = listed.filter((b) => byHash.has(b.hash) && !sameJson(b, byHash.get(b.hash))).map((b) => {
      const l = byHash.get(b.hash)!;
      const field = (['choice', 'row', 'userId', 'at', 'seq'] as const).find((k) => !sameJson(b[k], l[k])) ?? 'content';
      return `ballot ${b.seq} (${field}: ${canonicalJson(l[field as keyof typeof l]).slice(0, 40)} in the ledger, ${canonicalJson(b[field as keyof typeof b]).slice(0, 40)} in the protocol)`;
    });
    issues.push(
      `the named ballots in protocol.json differ from the counting ballots in the ledger${differ.length ? `: ${differ.join('; ')}` : ''}` +
        `${extra.length ? `; not counting in the ledger: ${extra.join(', ')}` : ''}${lost.length ? `; missing from the protocol: ${lost.join(', ')}` : ''}`,
    );
  }
  const absentee = new Map(audit.filter((r) => r.type === 'ballot.accepted').map((r) => [(r.data as { hash?: unknown }).hash, (r.data as { absentee?: unknown }).absentee === true]));
  for (const b of q.ballots) if (absentee.has(b.hash) && absentee.get(b.hash) !== b.absentee) issues.push(`ballot ${b.seq} is marked ${b.absentee ? '' : 'not '}absentee, the audit log says otherwise`);
  if (q.superseded !== facts.current.length - facts.counting.size || q.invalidated !== facts.invalidated) issues.push('the counts of replaced and invalidated ballots differ from the ledger');
  if (q.status === 'closed') {
    let recomputed: ReturnType<typeof recomputeTally>;
    try {
      recomputed = recomputeTally(p.register.rows, facts.present, q.definition, facts.current);
    } catch (err) {
      // The engine refuses inconsistent input (e.g. a present row missing from the register): that is a finding, not a crash.
      failAll(name, [...issues, `the tally cannot be recomputed from the ledger: ${err instanceof Error ? err.message : String(err)}`]);
      return;
    }
    const closed = facts.closed?.data as { report?: unknown; version?: unknown } | undefined;
    if (!sameJson(recomputed, q.result)) issues.push(`${describeDifference(recomputed, q.result)}: the tally recomputed from the ledger (${facts.current.length} ballots) differs from protocol.json`);
    if (!closed) issues.push('the vote is closed in protocol.json, but the audit log has no "vote.closed" record');
    else {
      if (closed.version !== q.version) issues.push(`the audit log closed version ${String(closed.version)}, not ${q.version}`);
      if (!sameJson(recomputed, closed.report)) issues.push(`${describeDifference(recomputed, closed.report)}: the tally recomputed from the ledger differs from the one the audit log recorded at the close`);
    }
    if (issues.length === 0) {
      const counts = Object.entries(recomputed.counts).map(([k, v]) => `${k} ${v}`).join(', ');
      ok(name, `${q.definition.question.form}, ${typeof q.definition.question.rule === 'string' ? q.definition.question.rule : 'qualified'}: ${recomputed.outcome} (${counts}); recomputed from ${facts.counting.size} counting ballots, equal to protocol.json and the audit log`);
    }
  } else if (q.result !== null) {
    issues.push(`the vote is ${q.status}, yet protocol.json gives a result`);
  } else if (issues.length === 0) {
    ok(name, `${q.status}: no result; ${q.ballots.length} ballots listed as in the ledger`);
  }
  if (issues.length > 0) failAll(name, issues);
}

/** Names the first field where two tallies differ, e.g. "counts.for: 100.00 vs 90.00". */
function describeDifference(a: unknown, b: unknown, path = ''): string {
  if (sameJson(a, b)) return path || 'nothing';
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
      if (!sameJson(ra[k], rb[k])) return describeDifference(ra[k], rb[k], path ? `${path}.${k}` : k);
    }
  }
  const show = (v: unknown) => (v === undefined ? 'missing' : canonicalJson(v).slice(0, 60));
  return `${path || 'the tally'}: ${show(a)} recomputed vs ${show(b)} recorded`;
}

function checkDocuments(p: Protocol, documents: readonly z.infer<typeof ProtocolDocumentSchema>[], audit: readonly Audit[], ok: Ok, failAll: FailAll): void {
  const listed = p.items.flatMap((i) => i.documents);
  const issues: string[] = [];
  if (!sameJson(listed, documents)) issues.push('documents.json differs from the documents listed in protocol.json');
  for (const d of listed) {
    const ev = audit.find((r) => r.type === 'document.attached' && (r.data as { sha256?: unknown }).sha256 === d.sha256 && (r.data as { itemId?: unknown }).itemId === d.itemId);
    if (!ev) issues.push(`document ${d.sha256} (${d.name}) has no "document.attached" record in the audit log`);
    else if (ev.at !== d.attachedAt) issues.push(`document ${d.sha256} was attached at ${ev.at} per the audit log, not ${String(d.attachedAt)}`);
  }
  if (issues.length > 0) failAll('documents', issues);
  else ok('documents', listed.length === 0 ? 'no documents attached' : `${listed.length} document${listed.length === 1 ? '' : 's'}, each attached in the audit log with the same SHA-256`);
}

async function checkSignatures(
  manifest: Manifest,
  p: Protocol,
  signatures: readonly SignatureEntry[],
  keys: readonly jose.JWK[],
  audit: readonly Audit[],
  files: ReadonlyMap<string, Uint8Array>,
  opts: VerifyOptions,
  ok: Ok,
  fail: (n: string, d: string) => void,
): Promise<void> {
  const manifestHash = sha256(canonicalJson(manifest));
  const byKid = new Map<string, jose.JWK>();
  for (const k of keys) {
    if (typeof k.kid !== 'string') continue;
    const thumb = await jose.calculateJwkThumbprint(k, 'sha256').catch(() => null);
    if (thumb !== k.kid) fail('keys', `key ${k.kid} in keys/jwks.json is not the key its id names (thumbprint ${thumb ?? 'invalid'})`);
    else byKid.set(k.kid, k);
  }
  if (opts.pinnedKeys) {
    const pinned = new Set(opts.pinnedKeys.map((k) => k.kid));
    for (const kid of [p.signing.organizer.kid, p.signing.hubKid]) {
      if (!pinned.has(kid)) fail('keys', `key ${kid} named by protocol.json is not among the pinned keys`);
      else ok('keys', `key ${kid} is among the pinned keys`);
    }
  }
  let organizerSigned = false;
  const seen = new Set<number>();
  for (const [i, s] of signatures.entries()) {
    const name = `signature ${i + 1}`;
    const rec = audit.find((r) => r.seq === s.auditSeq);
    seen.add(s.auditSeq);
    if (s.kind === 'scan') {
      const bytes = files.get(s.file);
      const d = rec?.data as { sha256?: unknown; reason?: unknown } | undefined;
      if (!bytes) fail(name, `paper scan ${s.file} is missing from the bundle`);
      else if (sha256(bytes) !== s.sha256) fail(name, `paper scan ${s.file} has SHA-256 ${sha256(bytes)}, not ${s.sha256}: the scan was changed`);
      else if (rec?.type !== 'scan.attached' || d?.sha256 !== s.sha256 || d.reason !== s.reason) fail(name, `paper scan ${s.file} has no matching "scan.attached" record (audit record ${s.auditSeq})`);
      else if (s.manifest !== manifestHash) fail(name, `paper scan ${s.file} was attached for another issue of the protocol`);
      else {
        organizerSigned = true;
        ok(name, `paper scan ${s.file} (${s.type}, reason: ${s.reason}) matches its SHA-256 and audit record ${s.auditSeq}`);
      }
      continue;
    }
    const expectedKid = s.kind === 'key' ? p.signing.organizer.kid : p.signing.hubKid;
    const jwk = byKid.get(s.kid);
    if (s.kid !== expectedKid) {
      fail(name, `signed with key ${s.kid}, but protocol.json names ${expectedKid} as the ${s.kind === 'key' ? 'organizer\u2019s key' : 'platform\u2019s attestation key'}`);
      continue;
    }
    if (!jwk) {
      fail(name, `key ${s.kid} is not in keys/jwks.json`);
      continue;
    }
    let payload: unknown;
    try {
      const key = await jose.importJWK(jwk, SIGNATURE_ALG);
      const v = await jose.compactVerify(s.jws, key, { algorithms: [SIGNATURE_ALG] });
      if (v.protectedHeader.kid !== s.kid) throw new Error('the JWS header names another key');
      payload = JSON.parse(new TextDecoder().decode(v.payload));
    } catch (err) {
      fail(name, `the JWS does not verify with key ${s.kid}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const pl = SignaturePayloadSchema.safeParse(payload);
    if (!pl.success) {
      fail(name, 'the signed payload is not a protocol signature');
      continue;
    }
    const sp = pl.data;
    const who = `${sp.signer.name} (${sp.signer.userId}, ${sp.signer.role})`;
    const problems: string[] = [];
    if (sp.manifest !== manifestHash) problems.push(`it signs manifest ${sp.manifest}, but manifest.json hashes to ${manifestHash}`);
    if (sp.protocol !== manifest.protocol) problems.push(`it signs protocol ${sp.protocol}, not ${manifest.protocol}`);
    if (sp.meetingId !== p.meeting.id) problems.push(`it is for meeting ${sp.meetingId}`);
    if (sp.method !== s.kind) problems.push(`its method is ${sp.method}, listed as ${s.kind}`);
    if (s.kind === 'key' && sp.signer.userId !== p.signing.organizer.userId) problems.push(`a key signature by ${sp.signer.userId}, who is not the organizer`);
    const type = s.kind === 'key' ? 'signature.key' : 'signature.code';
    if (rec?.type !== type || (rec.data as { jws?: unknown }).jws !== s.jws) problems.push(`audit record ${s.auditSeq} is not the "${type}" record of this JWS`);
    if (problems.length > 0) {
      for (const m of problems) fail(name, `${s.kind === 'key' ? 'key' : 'one-time-code'} signature of ${who}: ${m}`);
      continue;
    }
    if (s.kind === 'key') organizerSigned = true;
    ok(name, s.kind === 'key'
      ? `${who} signed the manifest with key ${s.kid} (EdDSA); audit record ${s.auditSeq}`
      : `${who} confirmed the manifest with a one-time code sent by ${sp.code?.channel ?? '?'} to ${sp.code?.sentTo ?? '?'}; attested by the platform key; audit record ${s.auditSeq}`);
  }
  const audited = audit.filter((r) => (r.type === 'signature.key' || r.type === 'signature.code' || r.type === 'scan.attached') && (r.data as { manifest?: unknown }).manifest === manifestHash);
  for (const r of audited) if (!seen.has(r.seq)) fail('signatures', `audit record ${r.seq} (${r.type}) is a signature of this protocol missing from signatures.json`);
  if (!organizerSigned) fail('signatures', 'the protocol is not signed by the organizer (no valid key signature and no paper scan)');
  else ok('signatures', `${signatures.length} signature${signatures.length === 1 ? '' : 's'}, the organizer's among them`);
}
