/** Counts events per key in fixed windows (per remote address on the public login endpoints). In memory, per hub. */

/** Keys kept before the oldest windows are dropped (bounds memory under a flood of addresses). */
const MAX_KEYS = 50_000;

/** At most `limit` events per key per window. */
export class WindowLimiter {
  private readonly windows = new Map<string, { start: number; count: number; warned: boolean }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one event. `allowed` is false past the limit; `first` is true for the first refusal of the
   * window (so a flood is audited once, not once per request).
   */
  hit(key: string): { allowed: boolean; first: boolean; retryAfterSeconds: number } {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs) {
      this.windows.delete(key);
      w = { start: t, count: 0, warned: false };
      this.windows.set(key, w);
      if (this.windows.size > MAX_KEYS) {
        const oldest = this.windows.keys().next().value;
        if (oldest !== undefined) this.windows.delete(oldest);
      }
    }
    w.count += 1;
    const retryAfterSeconds = Math.ceil((w.start + this.windowMs - t) / 1000);
    if (w.count <= this.limit) return { allowed: true, first: false, retryAfterSeconds };
    const first = !w.warned;
    w.warned = true;
    return { allowed: false, first, retryAfterSeconds };
  }
}
