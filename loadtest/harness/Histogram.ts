/**
 * A mergeable latency histogram: log-spaced buckets 2% wide from 1 µs to ~1000 s, plus the exact
 * count, sum, min and max. Workers send sparse deltas to the main thread, which merges them into
 * totals and per-second series. Percentiles are accurate to the bucket width (±1%).
 */

const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** Buckets: index 0 holds values below 1 µs; index i holds (GROWTH^(i-1), GROWTH^i] µs. */
export const BUCKETS = 1 + Math.ceil(Math.log(1e9) / LOG_GROWTH);

/** Sparse, serializable form of a histogram: [bucket, count] pairs. */
export interface HistogramData {
  count: number;
  sum: number;
  min: number;
  max: number;
  buckets: [number, number][];
}

/** Summary statistics in milliseconds. */
export interface LatencyStats {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

function bucketOf(ms: number): number {
  const us = ms * 1000;
  if (!(us >= 1)) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(us) / LOG_GROWTH));
}

/** The value a bucket stands for, in ms (its geometric middle). */
function valueOf(bucket: number): number {
  if (bucket === 0) return 0.0005;
  return GROWTH ** (bucket - 0.5) / 1000;
}

/** A latency histogram in milliseconds. */
export class Histogram {
  private counts = new Uint32Array(BUCKETS);
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  /** Records one value (ms). Negative values (clock skew between threads is impossible here, but be safe) count as 0. */
  record(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    this.counts[bucketOf(v)]! += 1;
    this.count += 1;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Adds another histogram (or its sparse data) into this one. */
  merge(other: Histogram | HistogramData): void {
    if (other instanceof Histogram) {
      for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    } else {
      for (const [b, c] of other.buckets) this.counts[b]! += c;
    }
    this.count += other.count;
    this.sum += other.sum;
    if (other.count > 0) {
      this.min = Math.min(this.min, other.min);
      this.max = Math.max(this.max, other.max);
    }
  }

  /** The value at percentile `p` (0..100), in ms. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, valueOf(i)));
    }
    return this.max;
  }

  /** Summary in ms. */
  stats(): LatencyStats {
    const r = (x: number) => Math.round(x * 1000) / 1000;
    if (this.count === 0) return { count: 0, mean: 0, min: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
    return {
      count: this.count,
      mean: r(this.sum / this.count),
      min: r(this.min),
      p50: r(this.percentile(50)),
      p90: r(this.percentile(90)),
      p95: r(this.percentile(95)),
      p99: r(this.percentile(99)),
      p999: r(this.percentile(99.9)),
      max: r(this.max),
    };
  }

  /** Sparse data for postMessage. */
  toData(): HistogramData {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { count: this.count, sum: this.sum, min: this.min, max: this.max, buckets };
  }

  /** Points of the cumulative distribution (value ms, fraction), for charts. */
  cdf(): [number, number][] {
    const out: [number, number][] = [];
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (this.counts[i] === 0) continue;
      seen += this.counts[i]!;
      out.push([Math.min(this.max, valueOf(i)), seen / this.count]);
    }
    return out;
  }

  /** Empties the histogram. */
  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.merge(data);
    return h;
  }
}
