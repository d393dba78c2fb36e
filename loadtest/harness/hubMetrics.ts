/**
 * The hub's own view, scraped from its Prometheus endpoint at the end of a run: command latency
 * from receipt to durable result per command type (hub_command_seconds), frames sent, session
 * closes by code. Set beside the clients' view, it tells time spent inside the hub from time on the
 * network, in the kernel or in a starved process.
 */

/** Summary of one command type from the hub's histogram (bucket upper bounds, ms). */
export interface HubCommandStats {
  count: number;
  p50UpToMs: number;
  p99UpToMs: number;
}

/** What the hub reported about a run. */
export interface HubReported {
  commands: Record<string, HubCommandStats>;
  framesOut: number;
  closesByCode: Record<string, number>;
}

function labels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

/** Parses the Prometheus text the hub serves at /metrics. */
export function parseHubMetrics(text: string): HubReported {
  const buckets = new Map<string, { le: number; n: number }[]>();
  let framesOut = 0;
  const closesByCode: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^(\w+)(?:\{([^}]*)\})? ([0-9.eE+-]+|\+Inf|NaN)$/.exec(line.trim());
    if (!m) continue;
    const [, name, lbl = '', value] = m;
    const v = Number(value);
    const l = labels(lbl);
    if (name === 'hub_command_seconds_bucket' && l.ok === 'true' && l.type) {
      const list = buckets.get(l.type) ?? [];
      list.push({ le: l.le === '+Inf' ? Infinity : Number(l.le) * 1000, n: v });
      buckets.set(l.type, list);
    } else if (name === 'hub_messages_out_total') framesOut = v;
    else if (name === 'hub_session_closes_total' && l.code) closesByCode[l.code] = v;
  }
  const commands: Record<string, HubCommandStats> = {};
  for (const [type, list] of buckets) {
    list.sort((a, b) => a.le - b.le);
    const count = list.at(-1)?.n ?? 0;
    if (count === 0) continue;
    const at = (q: number) => list.find((b) => b.n >= q * count)?.le ?? Infinity;
    commands[type] = { count, p50UpToMs: at(0.5), p99UpToMs: at(0.99) };
  }
  return { commands, framesOut, closesByCode };
}

/** Scrapes a hub's /metrics; null if it does not answer. */
export async function scrapeHubMetrics(httpUrl: string): Promise<HubReported | null> {
  try {
    const res = await fetch(`${httpUrl}/metrics`);
    if (!res.ok) return null;
    return parseHubMetrics(await res.text());
  } catch {
    return null;
  }
}
