/**
 * The one clock of the harness: CLOCK_MONOTONIC in milliseconds with sub-microsecond resolution.
 * It is the same clock in every thread and process of the machine, so a send time written by one
 * worker can be subtracted from a receive time taken in another.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
