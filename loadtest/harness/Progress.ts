/**
 * The progress line printed while a run goes: elapsed time, connections, the run's key latency,
 * server CPU and memory, generator utilization and errors. Rewritten in place on a terminal, one
 * line every few seconds otherwise (CI logs).
 */
import type { RunMetrics } from './RunMetrics.ts';

const TTY_MS = 1000;
const LOG_MS = 5000;

/** Prints progress for one run until stopped. */
export class Progress {
  private timer: NodeJS.Timeout | null = null;
  private phase = '';
  private last = 0;
  connections = () => 0;

  constructor(
    private readonly label: string,
    private readonly metrics: RunMetrics,
    private readonly key: string[],
    private readonly quiet: boolean,
  ) {}

  start(): void {
    if (this.quiet) return;
    const tty = process.stderr.isTTY === true;
    this.timer = setInterval(() => this.print(tty), tty ? TTY_MS : LOG_MS);
  }

  /** Names the current phase (shown on the line and marked on the charts). */
  setPhase(name: string): void {
    this.phase = name;
    this.metrics.mark(name);
    if (!this.quiet && process.stderr.isTTY !== true) this.print(false);
  }

  private print(tty: boolean): void {
    const m = this.metrics;
    const parts = [`[${this.label}] ${m.elapsed().toFixed(0).padStart(3)}s ${this.phase}`, `conns ${this.connections()}`];
    for (const k of this.key) {
      const p99 = m.recentP99(k);
      if (p99 !== null) parts.push(`${k} p99 ${p99.toFixed(1)}ms (n=${m.hist.get(k)?.count ?? 0})`);
    }
    const s = m.latestServer;
    if (s) parts.push(`server cpu ${s.cpuPct.toFixed(0)}% rss ${s.rssMB.toFixed(0)}MB`);
    const gen = m.generatorSeries().at(-1);
    if (gen) parts.push(`gen elu ${gen.elu.toFixed(2)}`);
    parts.push(`errors ${m.errorCount}`);
    const line = parts.join(' | ');
    if (tty) process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 200) - 1)}`);
    else process.stderr.write(`${line}\n`);
    this.last = Date.now();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.quiet && process.stderr.isTTY === true && this.last > 0) process.stderr.write('\n');
  }
}
