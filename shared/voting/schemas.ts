import { z } from 'zod';
import { parseAmount, parseDecimal } from './money.ts';

/**
 * Runtime schemas for what crosses a trust boundary: question definitions (from the
 * organizer's form builder), choice shapes (from voters) and tally cases (from files).
 * Shapes only; a choice's meaning against a question (known option, within budget)
 * is checked by `validateChoice` in forms.ts.
 */

/** Limits that bound the work done on hostile input. */
export const LIMITS = {
  maxOptions: 500,
  maxOptionLength: 500,
  maxTextLength: 20_000,
  maxReasonLength: 5_000,
  maxFractionTerm: 1_000_000,
  maxSeats: 500,
  maxIdLength: 200,
} as const;

/** Option names the tally uses as count keys of its own. */
export const RESERVED_OPTIONS: readonly string[] = ['invalid'];

/** The ten ballot forms. */
export const FORMS = [
  'for-against-abstain', 'one-of', 'up-to-k', 'cumulative', 'ranking',
  'approve-document', 'number', 'date', 'wording', 'split',
] as const;
/** A ballot form. */
export type Form = (typeof FORMS)[number];

/** Rules that decide a yes/no question (for-against-abstain, approve-document, split). */
export const BINARY_RULES = ['majority-present', 'majority-register', 'majority-register-with-class', 'unanimity'] as const;
/** Rules that pick one option (or up to k) against a threshold. */
export const OPTION_RULES = ['choice', 'majority-present', 'majority-register', 'unanimity'] as const;

/** A non-negative amount written as text, e.g. "1500000.50" (kept as text on the wire). */
export const AmountStringSchema = z
  .string({ error: 'An amount must be text such as "1500000.50".' })
  .superRefine((text, ctx) => {
    const r = parseAmount(text);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message });
  });

/** A non-negative amount parsed into exact kopecks. */
export const KopecksSchema = z
  .string({ error: 'An amount must be text such as "1500000.50".' })
  .transform((text, ctx) => {
    const r = parseAmount(text);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  });

/** A signed number with at most two decimals, as text or a JSON number (bounds of a `number` question). */
export const DecimalSchema = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  const r = parseDecimal(value);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message });
});

const term = z.int().min(0).max(LIMITS.maxFractionTerm);

/** Share of all voting weight the present must hold: more than num/den, or at least with `atLeast`. */
export const QuorumSchema = z
  .strictObject({ num: term, den: term.min(1), atLeast: z.boolean().optional() })
  .refine((q) => q.num <= q.den, { message: 'The quorum share num/den must not exceed 1.' });

/** A qualified majority: more than (or, with `atLeast`, at least) num/den of present or register weight. */
export const QualifiedRuleSchema = z
  .strictObject({
    kind: z.literal('qualified'),
    num: term.min(1),
    den: term.min(1),
    base: z.enum(['present', 'register'], { error: 'base must be "present" or "register".' }),
    atLeast: z.boolean().optional(),
  })
  .refine((r) => r.num <= r.den, { message: 'The qualified share num/den must not exceed 1.' });

function ruleSchema<const N extends readonly [string, ...string[]]>(names: N) {
  const listed = `${names.map((n) => `"${n}"`).join(', ')} or { "kind": "qualified", "num", "den", "base" }`;
  return z.union([z.enum(names), QualifiedRuleSchema], {
    error: (issue) => {
      if (issue.code === 'invalid_union' && typeof issue.input === 'object' && issue.input !== null) {
        const inner = issue.errors[1] ?? [];
        const detail = inner.map((e) => (e.path.length > 0 ? `${e.path.join('.')}: ${e.message}` : e.message)).join('; ');
        return `Invalid qualified rule: ${detail}`;
      }
      return `For this form the rule must be ${listed}.`;
    },
  });
}

const OptionSchema = z
  .string()
  .min(1, 'An option must not be empty.')
  .max(LIMITS.maxOptionLength)
  .refine((o) => !RESERVED_OPTIONS.includes(o), { message: `An option may not be named ${RESERVED_OPTIONS.join(', ')}.` });

function optionsSchema(min: number) {
  return z
    .array(OptionSchema)
    .min(min, `List at least ${min} option${min === 1 ? '' : 's'}.`)
    .max(LIMITS.maxOptions)
    .superRefine((options, ctx) => {
      const seen = new Set<string>();
      options.forEach((o, i) => {
        if (seen.has(o)) ctx.addIssue({ code: 'custom', message: `Option ${JSON.stringify(o)} is listed twice.`, path: [i] });
        seen.add(o);
      });
    });
}

const common = {
  title: z.string().max(LIMITS.maxTextLength).optional(),
  text: z.string().max(LIMITS.maxTextLength).optional(),
  quorum: QuorumSchema.optional(),
  securedVote: z.boolean().optional(),
};
const binaryFields = { ...common, rule: ruleSchema(BINARY_RULES), class: z.literal('secured').optional() };
const choiceFields = { ...common, rule: ruleSchema(OPTION_RULES), base: z.enum(['present', 'register']).optional() };

const ISO_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD. */
export function isIsoDate(text: string): boolean {
  const m = ISO_DATE_RE.exec(text);
  if (m === null) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** A strict object whose unknown keys are named with the form they do not belong to (typos must not pass silently). */
function variant<const F extends Form, S extends z.core.$ZodLooseShape>(form: F, shape: S) {
  return z.strictObject(
    { form: z.literal(form), ...shape },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `${issue.keys.map((k) => JSON.stringify(k)).join(', ')} ${issue.keys.length === 1 ? 'is' : 'are'} not used by form "${form}".`
          : undefined,
    },
  );
}

/** A question as the organizer's form builder defines it; the hub validates network input with it. */
export const QuestionSchema = z
  .discriminatedUnion(
    'form',
    [
      variant('for-against-abstain', binaryFields),
      variant('split', binaryFields),
      variant('approve-document', binaryFields),
      variant('one-of', { ...choiceFields, options: optionsSchema(1) }),
      variant('wording', { ...choiceFields, options: optionsSchema(1) }),
      variant('date', {
        ...choiceFields,
        options: optionsSchema(1).refine((os) => os.every(isIsoDate), { message: 'Each proposed date must be a real date written YYYY-MM-DD.' }),
      }),
      variant('up-to-k', { ...choiceFields, options: optionsSchema(1), k: z.int().min(1) }),
      variant('number', { ...choiceFields, min: DecimalSchema.optional(), max: DecimalSchema.optional() }),
      variant('cumulative', {
        ...common,
        rule: z.literal('cumulative-election', { error: 'A cumulative ballot is decided by rule "cumulative-election".' }),
        options: optionsSchema(1),
        seats: z.int().min(1).max(LIMITS.maxSeats),
      }),
      variant('ranking', {
        ...common,
        rule: z.literal('borda', { error: 'A ranking is decided by rule "borda".' }),
        options: optionsSchema(2),
      }),
    ],
    { error: `form must be one of: ${FORMS.join(', ')}.` },
  )
  .superRefine((q, ctx) => {
    if ('class' in q && q.class !== undefined && q.rule !== 'majority-register-with-class') {
      ctx.addIssue({ code: 'custom', path: ['class'], message: 'class is used only with rule "majority-register-with-class".' });
    }
    if ('base' in q && q.base !== undefined && q.rule !== 'choice') {
      ctx.addIssue({ code: 'custom', path: ['base'], message: 'base is used only with rule "choice" (other rules name their own base).' });
    }
    if (q.form === 'up-to-k' && q.k > q.options.length) {
      ctx.addIssue({ code: 'custom', path: ['k'], message: `k (${q.k}) must not exceed the number of options (${q.options.length}).` });
    }
    if (q.form === 'cumulative' && q.seats > q.options.length) {
      ctx.addIssue({ code: 'custom', path: ['seats'], message: `seats (${q.seats}) must not exceed the number of candidates (${q.options.length}).` });
    }
    if (q.form === 'number' && q.min !== undefined && q.max !== undefined) {
      const lo = parseDecimal(q.min);
      const hi = parseDecimal(q.max);
      if (lo.ok && hi.ok && lo.value > hi.value) ctx.addIssue({ code: 'custom', path: ['max'], message: 'max must not be below min.' });
    }
  });

/** A question definition after validation. */
export type Question = z.output<typeof QuestionSchema>;
/** A decision rule of any form. */
export type Rule = Question['rule'];
/** A qualified-majority rule. */
export type QualifiedRule = z.output<typeof QualifiedRuleSchema>;

const Vote = z.enum(['for', 'against', 'abstain'], { error: 'Choose "for", "against" or "abstain".' });
const Split = z.strictObject({
  for: AmountStringSchema.optional(),
  against: AmountStringSchema.optional(),
  abstain: AmountStringSchema.optional(),
});

/** The shape of a choice, per form (meaning is checked by `validateChoice`). */
export const ChoiceSchemas = {
  'for-against-abstain': Vote,
  split: z.union([Vote, Split]),
  'approve-document': z.discriminatedUnion('decision', [
    z.strictObject({ decision: z.literal('approve') }),
    z.strictObject({ decision: z.literal('reject'), reason: z.string().max(LIMITS.maxReasonLength) }),
  ]),
  'one-of': z.string().max(LIMITS.maxOptionLength),
  date: z.string().max(LIMITS.maxOptionLength),
  wording: z.string().max(LIMITS.maxOptionLength),
  'up-to-k': z.array(z.string().max(LIMITS.maxOptionLength)).max(LIMITS.maxOptions),
  cumulative: z.record(z.string().max(LIMITS.maxOptionLength), AmountStringSchema),
  ranking: z.array(z.string().max(LIMITS.maxOptionLength)).max(LIMITS.maxOptions),
  number: z.union([z.string().max(64), z.number()]),
} as const satisfies Record<Form, z.ZodType>;

/** A choice of a given form, as sent by a voter. */
export type ChoiceOf<F extends Form> = z.output<(typeof ChoiceSchemas)[F]>;

/** A register row on the wire: weight as text, converted to exact kopecks. */
export const RegisterRowSchema = z.object({
  id: z.string().min(1, 'A register id must not be empty.').max(LIMITS.maxIdLength),
  votes: KopecksSchema,
  secured: z.boolean().optional(),
});

/** One ledger entry: who voted and what (the choice is checked against the question later). */
export const BallotSchema = z.object({
  voter: z.string({ error: 'Each ballot needs a voter id.' }).max(LIMITS.maxIdLength),
  choice: z.custom<unknown>((v) => v !== undefined, { error: 'Each ballot needs a choice.' }),
});

/** A tally case file: register, admitted voters, question and ledger-ordered ballots (extra keys ignored). */
export const CaseSchema = z
  .object({
    register: z.array(RegisterRowSchema).min(1, 'The register must hold at least one row.'),
    present: z.array(z.string()),
    question: QuestionSchema,
    ballots: z.array(BallotSchema),
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>();
    c.register.forEach((row, i) => {
      if (ids.has(row.id)) ctx.addIssue({ code: 'custom', path: ['register', i, 'id'], message: `Register id ${JSON.stringify(row.id)} appears twice.` });
      ids.add(row.id);
    });
    const present = new Set<string>();
    c.present.forEach((id, i) => {
      if (!ids.has(id)) ctx.addIssue({ code: 'custom', path: ['present', i], message: `${JSON.stringify(id)} is admitted but not in the register.` });
      if (present.has(id)) ctx.addIssue({ code: 'custom', path: ['present', i], message: `${JSON.stringify(id)} is admitted twice.` });
      present.add(id);
    });
  });

/** A parsed tally case. */
export type Case = z.output<typeof CaseSchema>;

/** Renders schema issues as one readable line each, with the path to the bad field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
      return path === '' ? issue.message : `${path}: ${issue.message}`;
    })
    .join('\n');
}
