/**
 * Names of documents known in this browser (the organizer's uploads). The hub stores a document by
 * its SHA-256 and does not yet publish names to participants, so others see "Document N".
 */
import { t } from '../i18n/index.svelte.ts';

const KEY = 'agora.docNames';

function all(): Record<string, string> {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(KEY) ?? '{}');
    return typeof v === 'object' && v !== null ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** The remembered name of a document, if this browser uploaded it. */
export function docName(sha256: string): string | undefined {
  const n = all()[sha256];
  return typeof n === 'string' ? n : undefined;
}

/** How a document is called on screen: its name if known here, else "Document <item>.<n>" by where it is attached. */
export function docLabel(agenda: readonly { documents: readonly string[] }[], sha256: string): string {
  const known = docName(sha256);
  if (known) return known;
  for (const [i, item] of agenda.entries()) {
    const j = item.documents.indexOf(sha256);
    if (j >= 0) return t('doc.untitled', { n: `${i + 1}.${j + 1}` });
  }
  return t('doc.untitled', { n: sha256.slice(0, 8) });
}

/** Remembers a document's name. */
export function rememberDocName(sha256: string, name: string): void {
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...all(), [sha256]: name.slice(0, 300) }));
  } catch {
    // Not remembered; the generic label is used.
  }
}
