import { toReport, type TallyReport } from './report.ts';
import { fail, ok, type Result } from './result.ts';
import { CaseSchema, describeIssues, type Case } from './schemas.ts';
import { tally } from './tally.ts';

/** Validates a tally case read from JSON (extra keys such as `expected` are ignored), with a readable refusal. */
export function parseCase(raw: unknown): Result<Case, 'malformed-case'> {
  const r = CaseSchema.safeParse(raw);
  return r.success ? ok(r.data) : fail('malformed-case', describeIssues(r.error));
}

/** Tallies a validated case and renders the JSON report. */
export function tallyCase(c: Case): TallyReport {
  return toReport(tally({ register: c.register, present: c.present, question: c.question, ballots: c.ballots }));
}
