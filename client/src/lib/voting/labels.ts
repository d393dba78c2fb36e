/** Names of forms, rules and vote settings in the interface language. */
import type { QuestionRecord } from '$shared/docs.ts';
import type { Rule } from '$shared/voting/schemas.ts';
import { hasKey, t } from '../i18n/index.svelte.ts';

/** A decision rule as people read it ("qualified majority 2/3 of present"). */
export function ruleLabel(rule: Rule): string {
  if (typeof rule === 'string') return t(`rule.${rule}`);
  return `${t('rule.qualified')} ${rule.atLeast ? '≥' : '>'} ${rule.num}/${rule.den} ${t(rule.base === 'present' ? 'vote.ofPresent' : 'vote.ofRegister')}`;
}

/** The heading of a question: its own title, else its text, else the agenda item's title. */
export function questionTitle(q: QuestionRecord, itemTitle: string | undefined): string {
  return q.question.title?.trim() || itemTitle || q.question.text?.trim() || t(`form.${q.question.form}`);
}

/** The name of a rule given by its key (the builder's list). */
export function ruleName(key: string): string {
  const k = `rule.${key}`;
  return hasKey(k) ? t(k) : key;
}
