/**
 * Everything measured in one run, on the main thread: latency histograms and counters merged from
 * the workers (totals and per-second series), the server's CPU and memory once a second, the
 * generator threads' utilization, and named phase marks for the charts.
 */
import { Histogram, type LatencyStats } from './Histogram.ts';
import type { WorkerMetrics } from './WorkerPool.ts';
import { ticksPerSecond, type ProcessReading } from './ServerProcess.ts';
import fs from 'node:fs';
import { nowMs } from './clock.ts';

/** One second of the server process (and of the machine around it). */
export interface ServerSample {
  /** Seconds since the run started. */
  t: number;
  /** CPU use over the last interval, in % of one core. */
  cpuPct: number;
  rssMB: number;
  /** Whole machine busy, in % of one core (200 = two cores busy). */
  machinePct: number;
  /** The harness itself (main thread and load generators), in % of one core. */
  harnessPct: number;
  /** Everything else on the machine (other processes), in % of one core. */
  otherPct: number;
}

/** Reads the machine's busy CPU time (all cores) from /proc/stat, in ms. */
export function machineCpu(): { busyMs: number; at: number } {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busyMs: ((total - idle) * 1000) / ticksPerSecond(), at: Date.now() };
  } catch {
    return { busyMs: 0, at: Date.now() };
  }
}

/** Per-second point of a latency series. */
export interface SeriesPoint {
  t: number;
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Measurements of one run. */
export class RunMetrics {
  readonly start = nowMs();
  readonly hist = new Map<string, Histogram>();
  readonly counters = new Map<string, number>();
  readonly errors: string[] = [];
  readonly server: ServerSample[] = [];
  readonly marks: { name: string; t: number }[] = [];
  private readonly perSecond = new Map<string, Map<number, Histogram>>();
  private readonly countersPerSecond = new Map<string, Map<number, number>>();
  private lastReading: ProcessReading | null = null;
  private readonly eluBySecond = new Map<number, number>();
  /** The latest reading of the server (for the progress line). */
  latestServer: ServerSample | null = null;

  /** Seconds since the run started. */
  elapsed(at = nowMs()): number {
    return (at - this.start) / 1000;
  }

  /** Marks a phase boundary (shown on the charts). */
  mark(name: string): void {
    this.marks.push({ name, t: this.elapsed() });
  }

  /** Records a latency measured on the main thread. */
  observe(name: string, ms: number): void {
    this.histogram(name).record(ms);
    this.secondOf(name).record(ms);
  }

  /** Adds to a counter on the main thread. */
  inc(name: string, n = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
    const sec = Math.floor(this.elapsed());
    let m = this.countersPerSecond.get(name);
    if (!m) this.countersPerSecond.set(name, (m = new Map()));
    m.set(sec, (m.get(sec) ?? 0) + n);
  }

  /** Counts an error seen on the main thread. */
  error(kind: string, message: string): void {
    this.inc(`error.${kind}`);
    if (this.errors.length < 50) this.errors.push(`${kind}: ${message}`);
  }

  private histogram(name: string): Histogram {
    let h = this.hist.get(name);
    if (!h) this.hist.set(name, (h = new Histogram()));
    return h;
  }

  private secondOf(name: string): Histogram {
    const sec = Math.floor(this.elapsed());
    let m = this.perSecond.get(name);
    if (!m) this.perSecond.set(name, (m = new Map()));
    let h = m.get(sec);
    if (!h) m.set(sec, (h = new Histogram()));
    return h;
  }

  private readonly workersSeen = new Set<number>();

  /** Merges a worker's report. */
  addWorker(m: WorkerMetrics): void {
    for (const [name, data] of Object.entries(m.delta.hist)) {
      this.histogram(name).merge(data);
      this.secondOf(name).merge(data);
    }
    for (const [name, n] of Object.entries(m.delta.counters)) this.inc(name, n);
    for (const e of m.delta.errors) if (this.errors.length < 50) this.errors.push(e);
    // A worker's first report covers its start (compiling TypeScript), not load generation.
    if (!this.workersSeen.has(m.thread)) {
      this.workersSeen.add(m.thread);
      return;
    }
    const sec = Math.floor(this.elapsed());
    this.eluBySecond.set(sec, Math.max(this.eluBySecond.get(sec) ?? 0, m.elu));
  }

  private lastMachine = machineCpu();
  private lastHarness = process.cpuUsage();

  /** Records a reading of the server process, with the machine's and the harness' CPU over the same interval. */
  addServer(r: ProcessReading): void {
    const prev = this.lastReading;
    this.lastReading = r;
    const m = machineCpu();
    const h = process.cpuUsage();
    const pm = this.lastMachine;
    const ph = this.lastHarness;
    this.lastMachine = m;
    this.lastHarness = h;
    if (!prev) return;
    const span = Math.max(1, r.at - prev.at);
    const pct = (ms: number) => Math.round((ms / span) * 1000) / 10;
    const cpuPct = pct(r.cpuMs - prev.cpuMs);
    const machinePct = pct(m.busyMs - pm.busyMs);
    const harnessPct = pct((h.user + h.system - ph.user - ph.system) / 1000);
    const s: ServerSample = {
      t: Math.round(this.elapsed() * 10) / 10,
      cpuPct,
      rssMB: Math.round((r.rssBytes / 1024 / 1024) * 10) / 10,
      machinePct,
      harnessPct,
      otherPct: Math.max(0, Math.round((machinePct - cpuPct - harnessPct) * 10) / 10),
    };
    this.server.push(s);
    this.latestServer = s;
  }

  /** Total of a counter. */
  count(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  /** Sum of every `error.*` counter. */
  get errorCount(): number {
    let n = 0;
    for (const [k, v] of this.counters) if (k.startsWith('error.')) n += v;
    return n;
  }

  /** Errors by kind. */
  errorsByKind(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.counters) if (k.startsWith('error.')) out[k.slice(6)] = v;
    return out;
  }

  /** Latency summaries by name. */
  latencies(): Record<string, LatencyStats> {
    const out: Record<string, LatencyStats> = {};
    for (const [name, h] of [...this.hist].sort(([a], [b]) => a.localeCompare(b))) out[name] = h.stats();
    return out;
  }

  /** Per-second p50/p99 of a latency. */
  series(name: string): SeriesPoint[] {
    const m = this.perSecond.get(name);
    if (!m) return [];
    return [...m.entries()]
      .sort(([a], [b]) => a - b)
      .map(([t, h]) => {
        const s = h.stats();
        return { t, count: s.count, p50: s.p50, p99: s.p99, max: s.max };
      });
  }

  /** Per-second values of a counter. */
  counterSeries(name: string): { t: number; v: number }[] {
    const m = this.countersPerSecond.get(name);
    if (!m) return [];
    return [...m.entries()].sort(([a], [b]) => a - b).map(([t, v]) => ({ t, v }));
  }

  /** Generator utilization per second (busiest worker). */
  generatorSeries(): { t: number; elu: number }[] {
    return [...this.eluBySecond.entries()].sort(([a], [b]) => a - b).map(([t, elu]) => ({ t, elu: Math.round(elu * 100) / 100 }));
  }

  /** Latest per-second p99 of a latency (for the progress line). */
  recentP99(name: string): number | null {
    const m = this.perSecond.get(name);
    if (!m || m.size === 0) return null;
    const sec = Math.max(...m.keys());
    return m.get(sec)!.percentile(99);
  }
}
