import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCase, tallyCase } from '../../shared/voting/index.ts';

/**
 * `npm run -s tally -- CASE.json`: tallies one case file and prints the result as
 * JSON. User errors (missing file, bad JSON, a malformed case) print one readable
 * message on stderr and exit non-zero, without a stack trace.
 */

/** Exit codes (sysexits.h): usage, bad data, unreadable input. */
const EXIT = { ok: 0, usage: 64, dataError: 65, noInput: 66 } as const;

const USAGE = 'usage: npm run -s tally -- CASE.json   (or: node --import tsx server/cli/tally.ts CASE.json)';

/** Runs the CLI on its arguments; returns the exit code and writes to the given streams. */
function main(args: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
  const file = args[0];
  if (file === undefined || args.length > 1 || file === '--help' || file === '-h') {
    err(USAGE);
    return EXIT.usage;
  }
  // Under `npm run`, the shell's directory is INIT_CWD, not the package root.
  const base = process.env['npm_lifecycle_event'] === 'tally' ? (process.env['INIT_CWD'] ?? process.cwd()) : process.cwd();
  const path = resolve(base, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : 'error';
    err(`tally: cannot read ${file} (${code})`);
    return EXIT.noInput;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    err(`tally: ${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.dataError;
  }
  const parsed = parseCase(raw);
  if (!parsed.ok) {
    err(`tally: ${file} is not a valid case:\n${parsed.message}`);
    return EXIT.dataError;
  }
  out(`${JSON.stringify(tallyCase(parsed.value), null, 2)}\n`);
  return EXIT.ok;
}

process.exitCode = main(
  process.argv.slice(2),
  (s) => process.stdout.write(s),
  (s) => process.stderr.write(`${s}\n`),
);
