import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as jose from 'jose';
import { strFromU8, strToU8 } from 'fflate';
import { readQuestions, readAgenda } from '../../shared/docs.ts';
import type { HubServer } from '../app.ts';
import type { HubClient } from '../../shared/client/HubClient.ts';
import { REPO_ROOT } from '../config.ts';
import { protocolServiceOf } from '../http/routes/protocol.ts';
import { unpackBundle, packBundle } from '../protocol/bundle.ts';
import { verifyBundle, type Check } from '../protocol/verify.ts';
import { canonicalJson } from '../../shared/canonical.ts';
import { sha256 } from '../ledger/chain.ts';
import { connect, startTestHub, tokenFor, waitFor, DEMO } from './helpers.ts';

const run = promisify(execFile);

/** Nine creditors and a representative of three claims (c01 and c12 are secured). Sidorova stays out: she votes absentee. */
const ADMITTED = ['cred-stroy', 'cred-fns', 'cred-supply', 'cred-petrov', 'cred-trans', 'cred-energo', 'cred-alfa', 'cred-metal'];
const ABSENTEE = 'cred-sidorova';
const REP = 'rep-orlov';

/** A tiny valid PDF, to stand in for a meeting document and a signed paper scan. */
const pdfBytes = (text: string) => Buffer.from(`%PDF-1.4\n% ${text}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n`);

describe('the protocol: a meeting through the real hub to a signed bundle the offline verifier accepts', () => {
  let server: HubServer;
  let org: HubClient;
  const clients = new Map<string, HubClient>();
  let bundle: Uint8Array;
  let files: Map<string, Uint8Array>;
  const artifacts = process.env['PROTOCOL_ARTIFACTS'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'protocol-'));

  const api = async (p: string, init: RequestInit & { as?: string } = {}) => {
    const token = init.as ? await tokenFor(server, init.as) : undefined;
    return fetch(`${server.url}${p}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) } });
  };
  const post = (p: string, as: string, body?: unknown) => api(p, { method: 'POST', as, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  beforeAll(async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    server = await startTestHub();
    org = await connect(server, 'org-ivanov');
    await org.whenSynced();
    for (const u of [...ADMITTED, REP, ABSENTEE]) {
      const c = await connect(server, u);
      await c.whenSynced();
      clients.set(u, c);
    }
  });

  afterAll(async () => {
    for (const c of clients.values()) c.close();
    org.close();
    await server.stop();
    // Set PROTOCOL_ARTIFACTS to keep the bundle, the PDFs and the verifier's reports for a look.
    if (!process.env['PROTOCOL_ARTIFACTS']) fs.rmSync(artifacts, { recursive: true, force: true });
  });

  const command = async (c: HubClient, type: string, args: object) => {
    const r = await c.command(type as never, args as never);
    expect(r, `${type} ${JSON.stringify(r)}`).toMatchObject({ ok: true });
    return (r as { value: Record<string, unknown> }).value;
  };
  const versionAt = (c: HubClient, q: string) => waitFor(() => readQuestions(c.docs.agenda).find((x) => x.id === q)?.version, `question ${q} at ${c.welcome?.userId}`);
  const cast = async (user: string, q: string, choice: unknown, rows?: string[]) => {
    const c = clients.get(user)!;
    return command(c, 'vote.cast', { questionId: q, version: await versionAt(c, q), choice, ...(rows ? { rows } : {}) });
  };

  it('runs the meeting: admissions, an attached document, four votes with an absentee ballot and a re-cast, then closes', async () => {
    const items = readAgenda(org.docs.agenda).map((i) => i.id);
    const doc = await api(`/api/meetings/${DEMO}/documents`, { method: 'POST', as: 'org-ivanov', headers: { 'x-filename': 'polozhenie-o-prodazhe.pdf' }, body: pdfBytes('Положение о продаже') });
    const { sha256: docSha } = (await doc.json()) as { sha256: string };
    await command(org, 'agenda.update', { itemId: items[1]!, documents: [docSha] });
    for (const u of [...ADMITTED, REP]) await command(org, 'participant.admit', { userId: u });
    await command(org, 'meeting.setStatus', { status: 'open' });

    // 1. Majority of present, open, with absentee ballots accepted before the meeting.
    const now = Date.now();
    const q1 = String((await command(org, 'question.create', { itemId: items[0]!, question: { form: 'for-against-abstain', rule: 'majority-present', title: 'Принять к сведению отчёт конкурсного управляющего' }, mode: 'open', minOpenSeconds: 0, absentee: { from: now - 60_000, until: now + 3_600_000 } })).questionId);
    await cast(ABSENTEE, q1, 'for');
    await command(org, 'vote.open', { questionId: q1 });
    await Promise.all(ADMITTED.map((u, i) => cast(u, q1, i % 3 === 2 ? 'against' : 'for')));
    await cast(REP, q1, 'abstain', ['c11']);
    await command(org, 'vote.close', { questionId: q1 });

    // 2. Majority of the register, closed vote.
    const q2 = String((await command(org, 'question.create', { itemId: items[1]!, question: { form: 'for-against-abstain', rule: 'majority-register', title: 'Утвердить положение о порядке продажи имущества' }, mode: 'closed', minOpenSeconds: 0 })).questionId);
    await command(org, 'vote.open', { questionId: q2 });
    await Promise.all(ADMITTED.map((u) => cast(u, q2, ['cred-stroy', 'cred-fns', 'cred-metal'].includes(u) ? 'against' : 'for')));
    await cast(REP, q2, 'for', ['c11']);
    await command(org, 'vote.close', { questionId: q2 });

    // 3. Cumulative election of three committee members.
    const candidates = ['Антонов Алексей Андреевич', 'Борисова Бэлла Борисовна', 'Власов Виктор Валентинович', 'Глебова Галина Геннадьевна'];
    const q3 = String((await command(org, 'question.create', { itemId: items[2]!, question: { form: 'cumulative', rule: 'cumulative-election', seats: 3, options: candidates, title: 'Избрание членов комитета кредиторов' }, mode: 'closed', results: 'live', minOpenSeconds: 0 })).questionId);
    await command(org, 'vote.open', { questionId: q3 });
    await cast('cred-stroy', q3, { [candidates[0]!]: '20000000.00', [candidates[1]!]: '17200001.50' });
    await cast('cred-fns', q3, { [candidates[2]!]: '29550000.00' });
    await cast('cred-supply', q3, { [candidates[3]!]: '21900000.00' });
    await cast(REP, q3, { [candidates[1]!]: '6450000.00' }, ['c11']);
    await command(org, 'vote.close', { questionId: q3 });

    // 4. Choice of the register holder, with a re-cast that replaces the earlier ballot.
    const options = ['АО «Реестр-Сервис»', 'ООО «Регистратор»'];
    const q4 = String((await command(org, 'question.create', { itemId: items[3]!, question: { form: 'one-of', rule: 'choice', options, title: 'Выбор реестродержателя' }, mode: 'open', minOpenSeconds: 0 })).questionId);
    await command(org, 'vote.open', { questionId: q4 });
    await Promise.all(ADMITTED.map((u, i) => cast(u, q4, options[i % 2]!)));
    await cast('cred-petrov', q4, options[0]!);
    await command(org, 'vote.close', { questionId: q4 });

    // The protocol is issued only after the meeting closes.
    const early = await post(`/api/meetings/${DEMO}/protocol`, 'org-ivanov');
    expect(early.status).toBe(409);
    expect(((await early.json()) as { error: string }).error).toMatch(/Close the meeting/);
    await command(org, 'meeting.setStatus', { status: 'closed' });
  });

  it('shows the organizer the chain heads, and previews a draft only to the organizer', async () => {
    const head = (await (await api(`/api/meetings/${DEMO}/audit/head`, { as: 'org-ivanov' })).json()) as { auditHead: string; auditSeq: number; ledgerSeq: number; protocol: unknown };
    expect(head.auditHead).toMatch(/^[0-9a-f]{64}$/);
    expect(head.ledgerSeq).toBeGreaterThan(20);
    expect(head.protocol).toBeNull();
    expect((await api(`/api/meetings/${DEMO}/audit/head`, { as: 'cred-fns' })).status).toBe(403);
    const draft = await api(`/api/meetings/${DEMO}/protocol.pdf`, { as: 'org-ivanov' });
    expect(draft.status).toBe(200);
    expect(draft.headers.get('x-protocol-draft')).toBe('1');
    fs.writeFileSync(path.join(artifacts, 'draft.ru.pdf'), Buffer.from(await draft.arrayBuffer()));
    expect((await api(`/api/meetings/${DEMO}/protocol.pdf`, { as: 'cred-fns' })).status).toBe(404);
    expect((await api(`/api/meetings/${DEMO}/protocol.json`)).status).toBe(401);
  });

  it('issues the protocol, the organizer signs it with a key, a creditor co-signs with a one-time code, and a paper scan is attached', async () => {
    expect((await post(`/api/meetings/${DEMO}/protocol`, 'cred-fns')).status).toBe(403);
    const issued = await post(`/api/meetings/${DEMO}/protocol`, 'org-ivanov');
    expect(issued.status, await issued.clone().text()).toBe(201);
    const { manifestSha256, manifest } = (await issued.json()) as { manifestSha256: string; manifest: { protocol: string; files: Record<string, unknown> } };
    expect(Object.keys(manifest.files).sort()).toEqual(['protocol.en.pdf', 'protocol.json', 'protocol.ru.pdf']);

    const signed = await post(`/api/meetings/${DEMO}/protocol/sign`, 'org-ivanov');
    expect(signed.status).toBe(201);
    const { kid } = (await signed.json()) as { kid: string };
    const jwks = (await (await api(`/api/meetings/${DEMO}/protocol/jwks.json`)).json()) as { keys: jose.JWK[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(kid);

    const requested = await post(`/api/meetings/${DEMO}/protocol/cosign/request`, 'cred-stroy', {});
    expect(requested.status).toBe(201);
    const challenge = (await requested.json()) as { challengeId: string; sentTo: string; manifest: string };
    expect(challenge).toMatchObject({ sentTo: 'st***@example.test', manifest: manifestSha256 });
    const code = codeSentTo('stroy@example.test');
    const confirmed = await post(`/api/meetings/${DEMO}/protocol/cosign/confirm`, 'cred-stroy', { challengeId: challenge.challengeId, code });
    expect(confirmed.status, await confirmed.clone().text()).toBe(201);

    const scan = await api(`/api/meetings/${DEMO}/protocol/scans?reason=${encodeURIComponent('Подписан на бумаге членом комитета кредиторов')}&name=protocol-signed.pdf`, { method: 'POST', as: 'org-ivanov', body: pdfBytes('подписанный протокол') });
    expect(scan.status).toBe(201);

    // The signer, the time and the document hash are in the audit log; the code itself is nowhere in it.
    const ledger = (await (await api(`/api/meetings/${DEMO}/ledger`, { as: 'org-ivanov' })).json()) as { audit: { type: string; data: Record<string, unknown> }[] };
    const types = ledger.audit.map((a) => a.type);
    expect(types).toEqual(expect.arrayContaining(['document.attached', 'protocol.issued', 'signature.key', 'signature.code', 'scan.attached']));
    const sig = ledger.audit.find((a) => a.type === 'signature.code')!;
    expect(sig.data).toMatchObject({ manifest: manifestSha256, signer: { userId: 'cred-stroy' }, sentTo: 'st***@example.test' });
    expect(JSON.stringify(ledger.audit)).not.toContain(`"${code}"`);
  });

  function codeSentTo(address: string): string {
    const m = server.hub.messages.outbox(DEMO).filter((x) => x.to === address && x.purpose === 'signature-code').at(-1);
    const code = /: (\d{6})\n/.exec(m?.text ?? '')?.[1];
    if (!code) throw new Error(`no code sent to ${address}`);
    return code;
  }

  it('gives any participant the bundle, and the offline verifier (CLI) passes it', async () => {
    expect((await api(`/api/meetings/${DEMO}/protocol.zip`)).status).toBe(401);
    const res = await api(`/api/meetings/${DEMO}/protocol.zip`, { as: 'cred-petrov' });
    expect(res.status).toBe(200);
    bundle = new Uint8Array(await res.arrayBuffer());
    const unpacked = unpackBundle(bundle);
    if (!unpacked.ok) throw new Error(unpacked.message);
    files = unpacked.files;
    expect([...files.keys()].sort()).toEqual(
      expect.arrayContaining(['README.txt', 'audit.jsonl', 'documents.json', 'keys/jwks.json', 'ledger.jsonl', 'manifest.json', 'protocol.en.pdf', 'protocol.json', 'protocol.ru.pdf', 'register.json', 'signatures.json']),
    );
    expect([...files.keys()].some((f) => /^scans\/[0-9a-f]{64}\.pdf$/.test(f))).toBe(true);
    const file = path.join(artifacts, 'protocol.zip');
    fs.writeFileSync(file, bundle);
    for (const name of ['protocol.ru.pdf', 'protocol.en.pdf', 'protocol.json']) fs.writeFileSync(path.join(artifacts, name), files.get(name)!);

    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'server/cli/verify.ts'), file], { cwd: REPO_ROOT });
    fs.writeFileSync(path.join(artifacts, 'verify-good.txt'), stdout);
    expect(stdout).toMatch(/PASSED/);
    expect(stdout).not.toMatch(/FAIL/);
    for (const n of ['1.1', '2.1', '3.1', '4.1']) expect(stdout).toMatch(new RegExp(`ok  +tally ${n.replace('.', '\\.')} `));
    expect(stdout).toMatch(/protocol\.ru\.pdf is exactly the rendering of protocol\.json/);
    expect(stdout).toMatch(/one-time code sent by email/);
    expect(stdout).toMatch(/paper scan/);
    // The protocol carries the numbers of the engine, exactly, and the absentee ballot.
    const p = JSON.parse(strFromU8(files.get('protocol.json')!)) as { items: { questions: { result: { outcome: string; counts: Record<string, string> }; ballots: { absentee: boolean; row: string }[] }[] }[] };
    const q1 = p.items[0]!.questions[0]!;
    expect(q1.result.outcome).toBe('adopted');
    expect(q1.ballots.find((b) => b.row === 'c09')?.absentee).toBe(true);
    expect(p.items[1]!.questions[0]!.result.outcome).toBe('rejected');
  });

  // ---- tampering: each one is caught, with a message naming what is wrong -------------------------------

  const changed = (name: string, fn: (b: Uint8Array) => Uint8Array): Map<string, Uint8Array> => {
    const copy = new Map(files);
    copy.set(name, fn(new Uint8Array(files.get(name)!)));
    return copy;
  };
  /** Flips the lowest bit of the byte `offset` bytes after the first occurrence of `marker`. */
  const flipAfter = (marker: string, offset: number) => (b: Uint8Array) => {
    const at = strFromU8(b, true).indexOf(marker);
    expect(at).toBeGreaterThanOrEqual(0);
    const out = new Uint8Array(b);
    const i = at + offset;
    out[i] = out[i]! ^ 1;
    return out;
  };
  const lines = (b: Uint8Array) => strFromU8(b).split('\n').filter(Boolean);
  const fromLines = (ls: string[]) => strToU8(ls.map((l) => `${l}\n`).join(''));
  /** The failed checks of a bundle; re-rendering the PDFs (slow) only where a test is about them. */
  const failures = async (f: Map<string, Uint8Array>, rerender = false) =>
    (await verifyBundle(f, { rerender })).filter((c: Check) => c.status === 'fail').map((c) => `${c.name}: ${c.detail}`);

  it('catches one flipped byte in the ledger, the audit log, the JSON or the PDF', async () => {
    expect(await failures(files, true)).toEqual([]);
    const ledger = await failures(changed('ledger.jsonl', flipAfter('"row":"c0', 8)));
    expect(ledger.join('\n')).toMatch(/ledger: ledger\.jsonl record \d+ was altered: its hash does not match its content/);
    const audit = await failures(changed('audit.jsonl', flipAfter('"at":', 12)));
    expect(audit.join('\n')).toMatch(/audit: audit\.jsonl record 1 was altered/);
    const json = await failures(changed('protocol.json', flipAfter('"total":"', 12)));
    expect(json.join('\n')).toMatch(/manifest: protocol\.json has SHA-256 [0-9a-f]{64}, but the manifest .* covers [0-9a-f]{64}: protocol\.json was changed/);
    const pdf = await failures(changed('protocol.ru.pdf', (b) => {
      const out = new Uint8Array(b);
      out[Math.floor(b.length / 2)] = out[Math.floor(b.length / 2)]! ^ 1;
      return out;
    }), true);
    expect(pdf.join('\n')).toMatch(/manifest: protocol\.ru\.pdf has SHA-256 .*: protocol\.ru\.pdf was changed/);
    expect(pdf.join('\n')).toMatch(/pdf: protocol\.ru\.pdf is not the rendering of protocol\.json/);
  });

  it('catches a dropped ballot and two reordered records', async () => {
    const dropped = await failures(changed('ledger.jsonl', (b) => fromLines(lines(b).filter((_, i) => i !== 4))));
    expect(dropped.join('\n')).toMatch(/ledger: ledger\.jsonl record 5 has sequence number 6 \(records missing or reordered\)/);
    expect(dropped.join('\n')).toMatch(/ballots: audit record \d+ accepted ballot 5, which is missing from ledger\.jsonl/);
    expect(dropped.join('\n')).toMatch(/tally 1\.1: .*the tally recomputed from the ledger/);
    const reordered = await failures(changed('audit.jsonl', (b) => {
      const ls = lines(b);
      [ls[2], ls[3]] = [ls[3]!, ls[2]!];
      return fromLines(ls);
    }));
    expect(reordered.join('\n')).toMatch(/audit: audit\.jsonl record 3 has sequence number 4 \(records missing or reordered\)/);
    expect(reordered.join('\n')).toMatch(/does not link to the record before it/);
  });

  it('catches a replaced signature: another key, a borrowed signature, a re-signed forgery', async () => {
    const sigs = JSON.parse(strFromU8(files.get('signatures.json')!)) as { kind: string; jws: string; kid: string }[];
    const orgIdx = sigs.findIndex((s) => s.kind === 'key');
    const codeIdx = sigs.findIndex((s) => s.kind === 'code');
    const withSigs = (next: unknown[], extraKey?: jose.JWK) => {
      const copy = new Map(files);
      copy.set('signatures.json', strToU8(JSON.stringify(next)));
      if (extraKey) {
        const jwks = JSON.parse(strFromU8(files.get('keys/jwks.json')!)) as { keys: jose.JWK[] };
        copy.set('keys/jwks.json', strToU8(JSON.stringify({ keys: [...jwks.keys, extraKey] })));
      }
      return copy;
    };
    // A forger's key signs the same payload and is added to the bundle's keys.
    const { privateKey, publicKey } = await jose.generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const pub = await jose.exportJWK(publicKey);
    const forgerKid = await jose.calculateJwkThumbprint(pub, 'sha256');
    const payload = jose.decodeJwt(sigs[orgIdx]!.jws);
    const forged = await new jose.CompactSign(strToU8(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA', kid: forgerKid }).sign(privateKey);
    const other = await failures(withSigs(sigs.map((s, i) => (i === orgIdx ? { ...s, kid: forgerKid, jws: forged } : s)), { ...pub, kid: forgerKid }));
    expect(other.join('\n')).toMatch(new RegExp(`signature ${orgIdx + 1}: signed with key ${forgerKid}, but protocol\\.json names .* as the organizer’s key`));
    // (The paper scan still stands for the organizer's signature, so the bundle is otherwise signed.)
    // The organizer's JWS with the signature bytes of the platform's attestation.
    const [h, p] = sigs[orgIdx]!.jws.split('.');
    const borrowed = `${h}.${p}.${sigs[codeIdx]!.jws.split('.')[2]}`;
    const bad = await failures(withSigs(sigs.map((s, i) => (i === orgIdx ? { ...s, jws: borrowed } : s))));
    expect(bad.join('\n')).toMatch(new RegExp(`signature ${orgIdx + 1}: the JWS does not verify with key`));
    // Changing a number in protocol.json and fixing up the manifest: the signatures no longer cover it.
    const proto = JSON.parse(strFromU8(files.get('protocol.json')!)) as { items: { questions: { result: { counts: Record<string, string> } }[] }[] };
    proto.items[1]!.questions[0]!.result.counts['for'] = '30000000.00';
    const protoBytes = strToU8(canonicalJson(proto));
    const manifest = JSON.parse(strFromU8(files.get('manifest.json')!)) as { protocol: string; files: Record<string, { sha256: string; size: number }> };
    manifest.protocol = sha256(protoBytes);
    manifest.files['protocol.json'] = { sha256: manifest.protocol, size: protoBytes.byteLength };
    const fixed = new Map(files);
    fixed.set('protocol.json', protoBytes);
    fixed.set('manifest.json', strToU8(canonicalJson(manifest)));
    const forgedNumbers = (await failures(fixed, true)).join('\n');
    expect(forgedNumbers).toMatch(/tally 2\.1: counts\.for: "20350001\.00" recomputed vs "30000000\.00" recorded: the tally recomputed from the ledger .* differs from protocol\.json/);
    expect(forgedNumbers).toMatch(/key signature of Иванов И\. И\., конкурсный управляющий .*: it signs manifest [0-9a-f]{64}, but manifest\.json hashes to [0-9a-f]{64}/);
    expect(forgedNumbers).toMatch(/pdf: protocol\.ru\.pdf is not the rendering of protocol\.json/);
  });

  it('prints a failing report and exits non-zero on a tampered bundle', async () => {
    const tampered = changed('ledger.jsonl', flipAfter('"choice":"', 10));
    const file = path.join(artifacts, 'tampered.zip');
    fs.writeFileSync(file, packBundle(Object.fromEntries(tampered), Date.now()));
    const r = await run(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'server/cli/verify.ts'), file], { cwd: REPO_ROOT }).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => e,
    );
    fs.writeFileSync(path.join(artifacts, 'verify-tampered.txt'), r.stdout);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL  ledger +ledger\.jsonl record 1 was altered/);
    expect(r.stdout).toMatch(/FAILED: \d+ of \d+ checks failed\./);
    const notZip = path.join(artifacts, 'not-a-zip.zip');
    fs.writeFileSync(notZip, 'hello');
    const r2 = await run(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'server/cli/verify.ts'), notZip], { cwd: REPO_ROOT }).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => e,
    );
    expect(r2.code).toBe(1);
    expect(r2.stdout).toMatch(/FAIL  bundle +not a readable zip file/);
  });

  // ---- one-time codes: single use, a time limit, five attempts, a rate limit ------------------------------

  it('refuses a one-time code used twice, used late, or after five wrong attempts, and rate-limits requests', async () => {
    const service = protocolServiceOf(server.hub)!;
    let offset = 0;
    service.clock = () => Date.now() + offset;
    const confirm = (as: string, challengeId: string, code: string) => post(`/api/meetings/${DEMO}/protocol/cosign/confirm`, as, { challengeId, code });
    const request = async (as: string) => {
      const r = await post(`/api/meetings/${DEMO}/protocol/cosign/request`, as, {});
      return { status: r.status, body: (await r.json()) as { challengeId: string; error: string } };
    };

    // Twice: the second use is refused.
    const fns = await request('cred-fns');
    expect(fns.status).toBe(201);
    const fnsCode = codeSentTo('fns@example.test');
    expect((await confirm('cred-fns', fns.body.challengeId, fnsCode)).status).toBe(201);
    const twice = await confirm('cred-fns', fns.body.challengeId, fnsCode);
    expect(twice.status).toBe(409);
    expect(((await twice.json()) as { error: string }).error).toMatch(/already used/);

    // Late: past the five minutes.
    const supply = await request('cred-supply');
    const supplyCode = codeSentTo('supply@example.test');
    offset += 5 * 60_000 + 1000;
    const late = await confirm('cred-supply', supply.body.challengeId, supplyCode);
    expect(late.status).toBe(410);
    expect(((await late.json()) as { error: string }).error).toMatch(/expired/);

    // Wrong five times: the right code no longer works.
    const petrov = await request('cred-petrov');
    const right = codeSentTo('petrov@example.test');
    const wrong = right === '000000' ? '000001' : '000000';
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) answers.push(((await (await confirm('cred-petrov', petrov.body.challengeId, wrong)).json()) as { error: string }).error);
    expect(answers[0]).toMatch(/4 attempts left/);
    expect(answers[4]).toMatch(/last of 5 attempts/);
    const locked = await confirm('cred-petrov', petrov.body.challengeId, right);
    expect(locked.status).toBe(410);
    expect(((await locked.json()) as { error: string }).error).toMatch(/entered wrongly 5 times/);

    // Requests: at most one per 30 s, three per 15 minutes.
    expect((await request('cred-trans')).status).toBe(201);
    const soon = await request('cred-trans');
    expect(soon.status).toBe(429);
    expect(soon.body.error).toMatch(/moments ago/);
    offset += 31_000;
    expect((await request('cred-trans')).status).toBe(201);
    offset += 31_000;
    expect((await request('cred-trans')).status).toBe(201);
    offset += 31_000;
    const many = await request('cred-trans');
    expect(many.status).toBe(429);
    expect(many.body.error).toMatch(/at most 3 in 15 minutes/);

    // Only creditors co-sign by code; no signature may be made twice.
    expect((await request('obs-debtor')).status).toBe(403);
    expect((await request('cred-stroy')).body.error).toMatch(/already signed/);
    // None of these codes was ever stored in clear.
    const db = fs.readFileSync(path.join(server.hub.config.dataDir, 'hub.sqlite'));
    for (const c of [fnsCode, supplyCode, right]) expect(db.includes(Buffer.from(`"${c}"`))).toBe(false);
    service.clock = Date.now;
  });

  it('still verifies after the extra signatures; a protocol the meeting outgrew is refused until it is re-issued and signed again', async () => {
    expect(await failures(await download())).toEqual([]);
    // Reopening the meeting changes it after the protocol: signing is refused until it is issued again.
    await command(org, 'meeting.setStatus', { status: 'open' });
    const sign = await post(`/api/meetings/${DEMO}/protocol/sign`, 'org-ivanov');
    expect(sign.status).toBe(409);
    expect(((await sign.json()) as { error: string }).error).toMatch(/changed after the protocol was issued/);
    const stale = await download();
    expect((await failures(stale)).join('\n')).toMatch(/audit: record \d+ \(meeting\.status\) changed the meeting after the protocol was made/);

    // Closed again and re-issued: the new issue needs its own signatures; the old ones stay with the old issue.
    await command(org, 'meeting.setStatus', { status: 'closed' });
    const reissued = await post(`/api/meetings/${DEMO}/protocol`, 'org-ivanov');
    expect(reissued.status).toBe(201);
    expect(((await reissued.json()) as { version: number }).version).toBe(2);
    expect((await failures(await download())).join('\n')).toMatch(/signatures: the protocol is not signed by the organizer/);
    expect((await post(`/api/meetings/${DEMO}/protocol/sign`, 'org-ivanov')).status).toBe(201);
    expect(await failures(await download(), true)).toEqual([]);

    // A paper scan must be a PDF or an image, and give its reason.
    const scan = (body: ReturnType<typeof pdfBytes>, reason: string) => api(`/api/meetings/${DEMO}/protocol/scans?reason=${encodeURIComponent(reason)}`, { method: 'POST', as: 'org-ivanov', body });
    expect((await scan(Buffer.from('just text'), 'причина')).status).toBe(415);
    expect((await scan(pdfBytes('скан'), '')).status).toBe(422);
  });

  async function download(): Promise<Map<string, Uint8Array>> {
    const res = await api(`/api/meetings/${DEMO}/protocol.zip`, { as: 'org-ivanov' });
    expect(res.status).toBe(200);
    const unpacked = unpackBundle(new Uint8Array(await res.arrayBuffer()));
    if (!unpacked.ok) throw new Error(unpacked.message);
    return unpacked.files;
  }
});
