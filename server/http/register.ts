/**
 * Import of a register of claims from CSV. Every row is checked; one bad row refuses the whole
 * import with the row-level errors, so nothing is ever half-imported.
 */
import { parse } from 'csv-parse/sync';
import { parseAmount, formatAmount } from '../../shared/voting/money.ts';
import type { RegisterRow } from '../storage/Storage.ts';

/** A problem with one line of the CSV. */
export interface RowError {
  line: number;
  message: string;
}

const REQUIRED = ['id', 'name', 'votes'] as const;
const KNOWN = new Set(['id', 'name', 'inn', 'votes', 'secured', 'email', 'phone']);
const YES = new Set(['yes', 'true', '1', 'да']);
const NO = new Set(['no', 'false', '0', 'нет', '']);

/** Parses a register CSV (header: id,name,inn,votes,secured,email,phone). */
export function parseRegisterCsv(text: string): { ok: true; rows: RegisterRow[] } | { ok: false; errors: RowError[] } {
  let records: string[][];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { skip_empty_lines: true, trim: true, relax_column_count: false }) as string[][];
  } catch (err) {
    const line = typeof err === 'object' && err !== null && 'lines' in err ? Number((err as { lines: unknown }).lines) : 0;
    return { ok: false, errors: [{ line, message: err instanceof Error ? err.message : String(err) }] };
  }
  const [header, ...body] = records;
  if (!header) return { ok: false, errors: [{ line: 1, message: 'The file is empty: expected a header line id,name,inn,votes,secured,email,phone.' }] };
  const cols = header.map((h) => h.toLowerCase());
  const errors: RowError[] = [];
  for (const r of REQUIRED) if (!cols.includes(r)) errors.push({ line: 1, message: `The header has no "${r}" column.` });
  for (const c of cols) if (!KNOWN.has(c)) errors.push({ line: 1, message: `Unknown column "${c}".` });
  if (errors.length > 0) return { ok: false, errors };
  const get = (rec: string[], c: string): string => {
    const i = cols.indexOf(c);
    return i >= 0 ? (rec[i] ?? '') : '';
  };
  const seen = new Set<string>();
  const rows: RegisterRow[] = [];
  body.forEach((rec, i) => {
    const line = i + 2;
    const id = get(rec, 'id');
    const name = get(rec, 'name');
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(id)) errors.push({ line, message: `Row id "${id}" must be 1-64 letters, digits or _ . : -.` });
    else if (seen.has(id)) errors.push({ line, message: `Row id "${id}" appears twice.` });
    seen.add(id);
    if (!name) errors.push({ line, message: 'The name is empty.' });
    const votes = parseAmount(get(rec, 'votes'));
    if (!votes.ok) errors.push({ line, message: `votes: ${votes.message}` });
    const securedText = get(rec, 'secured').toLowerCase();
    if (!YES.has(securedText) && !NO.has(securedText)) errors.push({ line, message: `secured must be yes or no, not "${securedText}".` });
    const inn = get(rec, 'inn');
    if (inn && !/^\d{10}(\d{2})?$/.test(inn)) errors.push({ line, message: `inn "${inn}" must have 10 or 12 digits.` });
    rows.push({
      id,
      name,
      inn: inn || null,
      votes: votes.ok ? formatAmount(votes.value) : '0.00',
      secured: YES.has(securedText),
      email: get(rec, 'email') || null,
      phone: get(rec, 'phone') || null,
    });
  });
  if (rows.length === 0 && errors.length === 0) errors.push({ line: 2, message: 'The register has no rows.' });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rows };
}
