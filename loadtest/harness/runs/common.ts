/** Steps shared by the hub scenarios. */
import { nowMs } from '../clock.ts';
import type { RunEnv } from '../RunEnv.ts';

/** Joins in flight per worker while setting up a scenario (the join itself is measured by `fill`). */
const SETUP_IN_FLIGHT = 50;
/** Connection rate while setting up a scenario. */
const SETUP_RATE = 500;

/**
 * Connects every worker's clients; returns how long it took and how many made it. `fill` measures
 * the join at the configured rate with no cap; other scenarios set up with a capped ramp so the
 * join storm does not spill into what they measure.
 */
export async function connectAll(env: RunEnv, presence: boolean, mode: 'measure' | 'setup' = 'setup'): Promise<{ seconds: number; connected: number; failed: number }> {
  env.progress.setPhase('connecting');
  env.progress.connections = () => env.metrics.count('join.ok') + env.organizers.length;
  const t0 = nowMs();
  const rate = mode === 'measure' ? env.opts.connectRate : SETUP_RATE;
  const maxInFlight = mode === 'measure' ? 0 : SETUP_IN_FLIGHT;
  const res = await env.pool.all<{ connected: number; failed: number }>('connect', () => ({ rate: rate / env.opts.workers, timeoutMs: 60_000, presence, maxInFlight }));
  const seconds = (nowMs() - t0) / 1000;
  return { seconds, connected: res.reduce((a, r) => a + r.connected, 0), failed: res.reduce((a, r) => a + r.failed, 0) };
}

/** Clients synced right now, over all workers. */
export async function countSynced(env: RunEnv): Promise<number> {
  const counts = await env.pool.all<{ synced: number; total: number }>('count');
  return counts.reduce((a, c) => a + c.synced, 0);
}

/** Rounds to two decimals. */
export function round(x: number): number {
  return Math.round(x * 100) / 100;
}
