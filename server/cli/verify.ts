import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { unpackBundle } from '../protocol/bundle.ts';
import { verifyBundle, type Check, type VerifyOptions } from '../protocol/verify.ts';

/**
 * `npm run -s verify -- protocol.zip [--keys jwks.json]`: checks a protocol bundle offline (no
 * server, no database) and prints one line per check. `--keys` pins the public keys (e.g. the
 * hub's published JWKS saved earlier): the bundle's signatures must then use those keys.
 * Exit codes: 0 sound, 1 a check failed, 64 usage, 66 unreadable input, 70 a verifier bug.
 */

const EXIT = { ok: 0, failed: 1, usage: 64, noInput: 66, software: 70 } as const;
const USAGE = 'usage: npm run -s verify -- BUNDLE.zip [--keys JWKS.json]   (or: node --import tsx server/cli/verify.ts BUNDLE.zip)';

/** One report line: status, what, and the detail. */
function formatCheck(c: Check): string {
  const mark = c.status === 'ok' ? 'ok  ' : c.status === 'fail' ? 'FAIL' : 'skip';
  return `${mark}  ${c.name.padEnd(12)} ${c.detail}`;
}

async function main(args: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const positional: string[] = [];
  let keysFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--help' || a === '-h') {
      out(USAGE);
      return EXIT.ok;
    }
    if (a === '--keys') {
      keysFile = args[++i];
      if (!keysFile) {
        err(USAGE);
        return EXIT.usage;
      }
    } else positional.push(a);
  }
  const file = positional[0];
  if (file === undefined || positional.length > 1) {
    err(USAGE);
    return EXIT.usage;
  }
  // Under `npm run`, the shell's directory is INIT_CWD, not the package root.
  const base = process.env['npm_lifecycle_event'] === 'verify' ? (process.env['INIT_CWD'] ?? process.cwd()) : process.cwd();
  const read = (f: string): Buffer | null => {
    try {
      return readFileSync(resolve(base, f));
    } catch (e) {
      err(`verify: cannot read ${f} (${typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : 'error'})`);
      return null;
    }
  };
  const bytes = read(file);
  if (!bytes) return EXIT.noInput;
  const opts: VerifyOptions = {};
  if (keysFile) {
    const k = read(keysFile);
    if (!k) return EXIT.noInput;
    try {
      const parsed = JSON.parse(k.toString('utf8')) as { keys?: unknown };
      if (!Array.isArray(parsed.keys)) throw new Error('no "keys" array');
      opts.pinnedKeys = parsed.keys as VerifyOptions['pinnedKeys'];
    } catch (e) {
      err(`verify: ${keysFile} is not a JWKS: ${e instanceof Error ? e.message : String(e)}`);
      return EXIT.usage;
    }
  }
  out(`Verifying protocol bundle ${file}`);
  const unpacked = unpackBundle(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (!unpacked.ok) {
    out(formatCheck({ status: 'fail', name: 'bundle', detail: unpacked.message }));
    out('FAILED: the bundle could not be read.');
    return EXIT.failed;
  }
  let checks: Check[];
  try {
    checks = await verifyBundle(unpacked.files, opts);
  } catch (e) {
    out(formatCheck({ status: 'fail', name: 'verifier', detail: `stopped on an internal error: ${e instanceof Error ? e.message : String(e)}` }));
    return EXIT.software;
  }
  for (const c of checks) out(formatCheck(c));
  const failed = checks.filter((c) => c.status === 'fail').length;
  out(failed === 0 ? `PASSED: ${checks.length} checks, none failed.` : `FAILED: ${failed} of ${checks.length} checks failed.`);
  return failed === 0 ? EXIT.ok : EXIT.failed;
}

process.exitCode = await main(
  process.argv.slice(2),
  (s) => process.stdout.write(`${s}\n`),
  (s) => process.stderr.write(`${s}\n`),
);
