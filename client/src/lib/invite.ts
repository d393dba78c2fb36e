/** Pulls the invitation token out of what a user pasted: a whole link, a query string or the bare code. */
export function inviteFromInput(input: string): string | null {
  const text = input.trim();
  if (!text) return null;
  const m = /[?&]invite=([^&#\s]+)/.exec(text);
  let token = text;
  if (m?.[1]) {
    try {
      token = decodeURIComponent(m[1]);
    } catch {
      return null;
    }
  }
  return /^[A-Za-z0-9_-]{10,200}$/.test(token) ? token : null;
}
