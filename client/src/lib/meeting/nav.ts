/**
 * Where the user is inside a meeting lives in the URL (view, side tab, open document and page), so
 * a reload or a reconnect resumes the same screen.
 */
import { goto } from '$app/navigation';
import { page } from '$app/state';

/** Sets or clears query parameters; `push` adds a history entry (Back undoes it). */
export function setParams(update: Record<string, string | number | null>, opts: { push?: boolean } = {}): void {
  const url = new URL(page.url);
  for (const [k, v] of Object.entries(update)) {
    if (v === null || v === '') url.searchParams.delete(k);
    else url.searchParams.set(k, String(v));
  }
  if (url.href === page.url.href) return;
  void goto(url, { replaceState: !opts.push, keepFocus: true, noScroll: true });
}

let pushedDocument = false;

/** Opens a document in the viewer (Back closes it again). */
export function openDocument(sha256: string, extra: Record<string, string | null> = {}): void {
  pushedDocument = true;
  setParams({ ...extra, doc: sha256, page: 1 }, { push: true });
}

/** Closes the viewer: back to where it was opened from, or just without the document after a reload. */
export function closeDocument(): void {
  if (pushedDocument) {
    pushedDocument = false;
    history.back();
  } else {
    setParams({ doc: null, page: null });
  }
}

/** A query parameter of the current URL. */
export function param(name: string): string | null {
  return page.url.searchParams.get(name);
}
