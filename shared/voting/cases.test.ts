import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCase, tallyCase } from './index.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../..');
const casesDir = join(here, 'cases');
const caseFiles = readdirSync(casesDir).filter((f) => f.endsWith('.json')).sort();

interface Expected {
  readonly counts: Record<string, string>;
  readonly outcome: string;
}

function load(file: string): { raw: unknown; expected: Expected; description: string } {
  const raw = JSON.parse(readFileSync(join(casesDir, file), 'utf8')) as { expected: Expected; description: string };
  return { raw, expected: raw.expected, description: raw.description };
}

function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'server/cli/tally.ts', ...args], { cwd: root }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

describe('tally cases', () => {
  it('ships at least 30 cases, each with a description and an expected result', () => {
    expect(caseFiles.length).toBeGreaterThanOrEqual(30);
    for (const f of caseFiles) {
      expect(f).toMatch(/^\d{2}-[a-z0-9-]+\.json$/);
      const { expected, description } = load(f);
      expect(description.length, f).toBeGreaterThan(20);
      expect(expected.outcome, f).toMatch(/^(adopted|rejected|no-decision)$/);
    }
  });

  it.each(caseFiles)('%s', (file) => {
    const { raw, expected } = load(file);
    const parsed = parseCase(raw);
    if (!parsed.ok) throw new Error(parsed.message);
    const report = tallyCase(parsed.value);
    expect(report).toMatchObject(expected);
    expect(report.counts).toEqual(expected.counts);
  });
});

describe('tally CLI', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tally-cli-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('prints the same JSON result as the engine and exits 0', async () => {
    const file = caseFiles.find((f) => f.includes('cumulative-seat-tie')) ?? caseFiles[0] ?? '';
    const { raw, expected } = load(file);
    const { code, stdout, stderr } = await runCli([join(casesDir, file)]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const printed: unknown = JSON.parse(stdout);
    expect(printed).toMatchObject(expected);
    const parsed = parseCase(raw);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(printed).toEqual(tallyCase(parsed.value));
  });

  it('refuses a malformed case with a readable message and no stack trace', async () => {
    const bad = join(scratch, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        register: [{ id: 'A', votes: '10.005' }],
        present: ['A'],
        question: { form: 'one-of', rule: 'choice', options: ['x'], seats: 2 },
        ballots: [],
      }),
    );
    const { code, stdout, stderr } = await runCli([bad]);
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('register[0].votes');
    expect(stderr).toContain('more than two decimals');
    expect(stderr).toContain('"seats" is not used by form "one-of"');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses invalid JSON, a missing file and missing arguments', async () => {
    const broken = join(scratch, 'broken.json');
    writeFileSync(broken, '{ "register": [');
    const a = await runCli([broken]);
    expect(a.code).not.toBe(0);
    expect(a.stderr).toContain('not valid JSON');
    const b = await runCli([join(scratch, 'missing.json')]);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toContain('cannot read');
    const c = await runCli([]);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('usage');
  });
});
