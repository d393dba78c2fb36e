/**
 * The protocol bundle (protocol.zip): everything a third party needs to check the protocol without
 * the platform. The layout is fixed here and shared by the hub (which writes it) and the verifier
 * (which reads it). Chained records are JSON Lines, one canonical record per line, so that every
 * byte of them carries meaning.
 */
import { zipSync, unzipSync, strToU8, strFromU8 } from 'fflate';
import { canonicalJson } from '../../shared/canonical.ts';

/** File names inside the bundle. */
export const BUNDLE = {
  readme: 'README.txt',
  manifest: 'manifest.json',
  protocol: 'protocol.json',
  pdf: (lang: string) => `protocol.${lang}.pdf`,
  ledger: 'ledger.jsonl',
  audit: 'audit.jsonl',
  signatures: 'signatures.json',
  jwks: 'keys/jwks.json',
  documents: 'documents.json',
  register: 'register.json',
  scansDir: 'scans/',
} as const;

/** Largest bundle the verifier unpacks (documents are not inside; scans are). */
export const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

/** Packs files into a zip with a fixed timestamp (the same inputs give the same bytes). */
export function packBundle(files: Record<string, Uint8Array | string>, at: number): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const name of Object.keys(files).sort()) {
    const v = files[name]!;
    entries[name] = typeof v === 'string' ? strToU8(v) : v;
  }
  // Zip times have two-second resolution and no zone; clamp to the format's range.
  return zipSync(entries, { level: 6, mtime: new Date(Math.max(at, Date.UTC(1980, 0, 2))) });
}

/** Unpacks a bundle; a file that is not a zip gives a readable error. */
export function unpackBundle(bytes: Uint8Array): { ok: true; files: Map<string, Uint8Array> } | { ok: false; message: string } {
  if (bytes.byteLength > MAX_BUNDLE_BYTES) return { ok: false, message: `the bundle is larger than ${MAX_BUNDLE_BYTES / 1024 / 1024} MB` };
  try {
    const files = unzipSync(bytes);
    return { ok: true, files: new Map(Object.entries(files).filter(([name]) => !name.endsWith('/'))) };
  } catch (err) {
    return { ok: false, message: `not a readable zip file (${err instanceof Error ? err.message : String(err)})` };
  }
}

/** Records as JSON Lines, each line canonical JSON. */
export function toJsonLines(records: readonly unknown[]): string {
  return records.map((r) => `${canonicalJson(r)}\n`).join('');
}

/** Parses JSON Lines; names the first bad line. */
export function fromJsonLines(bytes: Uint8Array): { ok: true; records: unknown[] } | { ok: false; message: string } {
  const text = strFromU8(bytes);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const records: unknown[] = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      records.push(JSON.parse(lines[i]!));
    } catch {
      return { ok: false, message: `line ${i + 1} is not valid JSON` };
    }
  }
  return { ok: true, records };
}

/** The README placed in every bundle. */
export function bundleReadme(meetingId: string, title: string): string {
  return `Protocol bundle of meeting ${meetingId}
${title}

manifest.json     what the signatures cover: SHA-256 of protocol.json and of each PDF, the chain heads
protocol.json     the protocol (minutes) as canonical JSON: the source of truth
protocol.ru.pdf   the protocol rendered from protocol.json, in Russian (the official copy)
protocol.en.pdf   the same in English
ledger.jsonl      the ballot ledger: one record per line, each hash-chained to the previous
audit.jsonl       the audit log of the meeting: one event per line, hash-chained
signatures.json   the signatures: JWS by the organizer's key, attested one-time-code signatures, paper scans
keys/jwks.json    the public keys that verify the signatures (also published by the hub)
documents.json    the documents attached to the agenda, by SHA-256 (the documents are not included)
register.json     the register of claims as used for the tallies
scans/            signed paper scans attached by the organizer

Check it without the platform:  npm run -s verify -- protocol.zip
The verifier re-checks both hash chains, every signature, recomputes every tally from the
ledger with the rules engine, compares it with protocol.json, and checks the PDFs' hashes.
A record is hashed as SHA-256(previous hash + "\\n" + canonical JSON of its body); the first
record's previous hash is 64 zeros.
`;
}
