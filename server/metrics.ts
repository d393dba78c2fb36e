/** Prometheus metrics of one hub, exposed at /metrics. One registry per hub so tests can run several in a process. */
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** The hub's metric set. */
export class HubMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'hub_connections', help: 'Open WebSocket sessions', registers: [this.registry] });
  readonly meetings = new Gauge({ name: 'hub_meetings_loaded', help: 'Meetings loaded in memory', registers: [this.registry] });
  // Per-frame counts live in plain numbers and move into the Prometheus counters when scraped: a
  // broadcast sends to up to thousands of sessions, and prom-client's inc() hashes labels and
  // updates a map each time (a measurable part of the fan-out's CPU).
  /** Frames received by opcode (index op + 1; -1 is an empty frame). */
  private readonly framesIn = new Array<number>(257).fill(0);
  private framesOut = 0;
  private bytesSent = 0;
  readonly messagesIn: Counter;
  readonly messagesOut: Counter;
  readonly bytesOut: Counter;
  readonly closes = new Counter({ name: 'hub_session_closes_total', help: 'Sessions closed, by close code', labelNames: ['code'], registers: [this.registry] });
  readonly commandLatency = new Histogram({
    name: 'hub_command_seconds',
    help: 'Time from receiving a command to its durable result',
    labelNames: ['type', 'ok'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly eventLoopLag: Gauge;
  private readonly loop: IntervalHistogram;

  constructor() {
    const self = this;
    this.messagesIn = new Counter({
      name: 'hub_messages_in_total',
      help: 'Frames received',
      labelNames: ['op'],
      registers: [this.registry],
      collect() {
        self.framesIn.forEach((n, i) => {
          if (n > 0) this.inc({ op: String(i - 1) }, n);
          self.framesIn[i] = 0;
        });
      },
    });
    /** A counter fed on scrape with what `take` returns (and resets). */
    const scraped = (name: string, help: string, take: () => number) =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.inc(take());
        },
      });
    this.messagesOut = scraped('hub_messages_out_total', 'Frames sent', () => {
      const n = this.framesOut;
      this.framesOut = 0;
      return n;
    });
    this.bytesOut = scraped('hub_bytes_out_total', 'Bytes sent on WebSockets', () => {
      const n = this.bytesSent;
      this.bytesSent = 0;
      return n;
    });
    collectDefaultMetrics({ register: this.registry });
    this.loop = monitorEventLoopDelay({ resolution: 20 });
    this.loop.enable();
    const loop = this.loop;
    this.eventLoopLag = new Gauge({
      name: 'hub_event_loop_lag_seconds',
      help: 'Event-loop delay p99 since the last scrape',
      registers: [this.registry],
      collect() {
        this.set(loop.percentile(99) / 1e9);
        loop.reset();
      },
    });
  }

  /** Counts a received frame by its opcode. */
  received(op: number): void {
    this.framesIn[op + 1]! += 1;
  }

  /** Counts a sent frame. */
  sent(bytes: number): void {
    this.framesOut += 1;
    this.bytesSent += bytes;
  }

  /** Stops background sampling. */
  close(): void {
    this.loop.disable();
  }
}
