/**
 * Language of the interface: Russian (the default for creditors' meetings) or English, switchable
 * and persisted in localStorage. `t` reads reactive state, so templates re-render on a switch.
 */
import { ru, type MessageKey } from './ru.ts';
import { en } from './en.ts';

export type { MessageKey };
/** Languages the interface speaks. */
export const LANGS = ['ru', 'en'] as const;
export type Lang = (typeof LANGS)[number];

const STORAGE_KEY = 'agora.lang';
const DICTS: Record<Lang, Record<MessageKey, string>> = { ru, en };

function initial(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'ru' || saved === 'en') return saved;
  } catch {
    // Storage may be disabled; fall back to the default.
  }
  return 'ru';
}

class Language {
  current = $state<Lang>(initial());

  /** Switches the language and remembers the choice. */
  set(lang: Lang): void {
    this.current = lang;
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      // Not persisted; the switch still applies to this page.
    }
    document.documentElement.lang = lang;
  }

  /** BCP 47 locale for Intl formatting. */
  get locale(): string {
    return this.current === 'ru' ? 'ru-RU' : 'en-GB';
  }
}

/** The current interface language. */
export const lang = new Language();

/** Params substituted into {placeholders}. */
export type Params = Record<string, string | number>;

function fill(text: string, params?: Params): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

/** Translates a key in the current language. */
export function t(key: MessageKey, params?: Params): string {
  return fill(DICTS[lang.current][key], params);
}

/** Translates a plural key (`base_one|few|many`) for n; `{n}` is filled in. */
export function tn(base: string, n: number, params: Params = {}): string {
  const rule = new Intl.PluralRules(lang.locale).select(n);
  const form = rule === 'one' ? 'one' : rule === 'few' ? 'few' : 'many';
  const key = `${base}_${form}` as MessageKey;
  const dict = DICTS[lang.current];
  return fill(dict[key] ?? key, { n, ...params });
}

/** Whether a string is a dictionary key (for codes mapped to messages). */
export function hasKey(key: string): key is MessageKey {
  return key in ru;
}
