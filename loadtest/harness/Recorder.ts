/**
 * Per-thread measurement: named latency histograms and counters, drained as deltas (once a
 * second by each worker) so the main thread can build totals and per-second series.
 */
import { Histogram, type HistogramData } from './Histogram.ts';

/** What a worker reports each second. */
export interface MetricsDelta {
  hist: Record<string, HistogramData>;
  counters: Record<string, number>;
  /** A few error messages, for the report (counted in `counters` under `error.*`). */
  errors: string[];
}

const MAX_ERROR_SAMPLES = 20;

/** Collects measurements between drains. */
export class Recorder {
  private readonly hist = new Map<string, Histogram>();
  private counters = new Map<string, number>();
  private errors: string[] = [];
  private errorSamples = 0;

  /** Records a latency (ms) under `name`. */
  observe(name: string, ms: number): void {
    let h = this.hist.get(name);
    if (!h) this.hist.set(name, (h = new Histogram()));
    h.record(ms);
  }

  /** Adds to a counter. */
  inc(name: string, n = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }

  /** Counts an error under `error.<kind>` and keeps the first few messages. */
  error(kind: string, message: string): void {
    this.inc(`error.${kind}`);
    if (this.errorSamples < MAX_ERROR_SAMPLES) {
      this.errorSamples += 1;
      this.errors.push(`${kind}: ${message}`);
    }
  }

  /** Returns everything recorded since the last drain and starts afresh. */
  drain(): MetricsDelta {
    const hist: Record<string, HistogramData> = {};
    for (const [name, h] of this.hist) {
      if (h.count === 0) continue;
      hist[name] = h.toData();
      h.reset();
    }
    const counters = Object.fromEntries(this.counters);
    this.counters = new Map();
    const errors = this.errors;
    this.errors = [];
    return { hist, counters, errors };
  }
}
