/**
 * The frame around one run: a fresh server child on a copy of the provisioned data, the worker
 * pool with its share of clients, the organizers (on the main thread), a once-a-second sampler of
 * the server, the progress line, an optional `perf` profile, and the summary at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScenarioName } from '../scenarios/definitions.ts';
import type { BenchOptions, Check, RunSummary } from './options.ts';
import type { ProvisionedRoom } from './provision.ts';
import { LoadClient, type ClientSpec } from './LoadClient.ts';
import { RunMetrics } from './RunMetrics.ts';
import { WorkerPool } from './WorkerPool.ts';
import { Progress } from './Progress.ts';
import { Inspector, type MemoryUsage } from './Inspector.ts';
import { startHubProcess, type ServerUnderTest } from './ServerProcess.ts';
import { PerfProfile } from './PerfProfile.ts';
import { sleep } from './clock.ts';
import { scrapeHubMetrics, type HubReported } from './hubMetrics.ts';
import { machineCpu } from './RunMetrics.ts';

const SAMPLE_MS = 1000;
/** Client indexes of organizers (participants are numbered from 1). */
const ORGANIZER_IDX = 1_000_000;

/** What a scenario returns to the frame. */
export interface RunOutcome {
  values: Record<string, number>;
  checks: Check[];
  notes?: string[];
  /** Connections the run held (for the summary). */
  connections: number;
}

/** One run on our hub. */
export class RunEnv {
  readonly metrics = new RunMetrics();
  readonly organizers: LoadClient[] = [];
  pool!: WorkerPool;
  server!: ServerUnderTest;
  /** One per server process (a cluster has several). */
  inspectors: Inspector[] = [];
  progress!: Progress;
  private sampler: NodeJS.Timeout | null = null;
  private profiler: PerfProfile | null = null;
  profileText: string | undefined;
  /** Which server this run measures. */
  serverKind: 'hub' | 'hocuspocus' = 'hub';
  /** The hub's own metrics at the end of the run. */
  hubReported: HubReported | null = null;

  constructor(
    readonly opts: BenchOptions,
    readonly scenario: ScenarioName,
    readonly variant: string,
    readonly rooms: ProvisionedRoom[],
    readonly dir: string,
  ) {}

  get name(): string {
    return `${this.scenario}-${this.variant}`;
  }

  /** Attaches to a started server: sampler, inspector, workers, progress. */
  async attach(server: ServerUnderTest, key: string[]): Promise<void> {
    this.server = server;
    for (const port of server.inspectPorts) this.inspectors.push(await Inspector.connect(port));
    this.metrics.addServer(server.read());
    this.sampler = setInterval(() => {
      if (!server.alive) {
        this.metrics.error('server-exit', `${server.name} exited during the run; see ${server.logFile}`);
        if (this.sampler) clearInterval(this.sampler);
        return;
      }
      this.metrics.addServer(server.read());
    }, SAMPLE_MS);
    this.pool = await WorkerPool.start(this.opts.workers, (_, m) => this.metrics.addWorker(m));
    this.progress = new Progress(this.name, this.metrics, key, this.opts.quiet);
    this.progress.start();
  }

  /** Machine load before the run: how long it waited for other processes to calm down, and how busy they were. */
  quiet = { waitedSeconds: 0, otherPct: 0 };

  /**
   * On a shared machine, waits (up to opts.quietWaitSeconds) until other processes use less than
   * opts.quietBelowPct of a core, so runs do not start in the middle of someone else's burst.
   */
  async waitQuiet(): Promise<void> {
    const start = Date.now();
    for (;;) {
      const a = machineCpu();
      const h0 = process.cpuUsage();
      await sleep(1000);
      const b = machineCpu();
      const h1 = process.cpuUsage();
      const busy = ((b.busyMs - a.busyMs) / Math.max(1, b.at - a.at)) * 100;
      const own = ((h1.user + h1.system - h0.user - h0.system) / 1000 / Math.max(1, b.at - a.at)) * 100;
      const other = Math.max(0, Math.round(busy - own));
      this.quiet = { waitedSeconds: Math.round((Date.now() - start) / 1000), otherPct: other };
      if (other < this.opts.quietBelowPct || Date.now() - start >= this.opts.quietWaitSeconds * 1000) return;
    }
  }

  /** Starts a hub child on a copy of the provisioned data directory. */
  async startHub(template: string, key: string[]): Promise<void> {
    const dataDir = path.join(this.dir, 'data');
    fs.cpSync(template, dataDir, { recursive: true, filter: (src) => !src.endsWith('.log') && !src.endsWith('.json') });
    const server = await startHubProcess({
      dataDir,
      logFile: path.join(this.dir, 'hub.log'),
      env: this.opts.hubEnv,
      inspect: true,
      ...(this.opts.profile ? { profileDir: path.join(this.dir, 'prof') } : {}),
    });
    await this.attach(server, key);
  }

  /** Client specs of every non-organizer member, spread over the workers (each room across all of them). */
  clientsByWorker(replicaFor: (room: number, member: number) => string[], members?: (room: ProvisionedRoom) => ProvisionedRoom['members']): ClientSpec[][] {
    const out: ClientSpec[][] = Array.from({ length: this.opts.workers }, () => []);
    let idx = 0;
    const url = `${this.server.wsBase}/ws`;
    for (const r of this.rooms) {
      for (const m of members ? members(r) : r.members.slice(1)) {
        idx += 1;
        out[idx % out.length]!.push({ idx, room: r.room, member: m.member, userId: m.userId, role: m.role, token: m.token, url, replica: replicaFor(r.room, m.member) });
      }
    }
    return out;
  }

  /** Connects the organizer of every room on the main thread. */
  async connectOrganizers(replica: string[], presence = true): Promise<void> {
    const url = `${this.server.wsBase}/ws`;
    for (const r of this.rooms) {
      const o = r.members[0]!;
      // Organizers of different rooms are the same user: each connection needs its own session id.
      const c = new LoadClient({ idx: ORGANIZER_IDX + r.room, room: r.room, member: 0, userId: o.userId, role: 'organizer', token: o.token, url, replica });
      c.hooks = { unexpectedClose: (_, code, reason) => this.metrics.error('close', `organizer of room ${r.room}: ${code} ${reason}`) };
      if (presence) c.enablePresence();
      this.organizers.push(c);
    }
    await Promise.all(this.organizers.map((c) => c.connectRetrying(60_000, (msg) => this.metrics.error('abrupt-close', `organizer of room ${c.spec.room}: ${msg} (reconnected)`))));
  }

  /** Memory of the server after a full GC, summed over its processes (null without inspectors). */
  async memory(): Promise<(MemoryUsage & { procRss: number }) | null> {
    if (this.inspectors.length === 0) return null;
    const all = await Promise.all(this.inspectors.map((i) => i.gcAndMemory()));
    const sum = (f: (m: MemoryUsage) => number) => all.reduce((a, m) => a + f(m), 0);
    const m: MemoryUsage = { rss: sum((x) => x.rss), heapTotal: sum((x) => x.heapTotal), heapUsed: sum((x) => x.heapUsed), external: sum((x) => x.external), arrayBuffers: sum((x) => x.arrayBuffers) };
    return { ...m, procRss: this.server.read().rssBytes };
  }

  /** Starts the CPU profile of the measured phase (with --profile). */
  async startProfile(): Promise<void> {
    if (!this.opts.profile || this.profiler) return;
    this.profiler = await PerfProfile.start(this.server.pid, path.join(this.dir, 'prof', 'perf.data'));
  }

  /** Stops the profile and keeps its text summary. */
  async stopProfile(): Promise<void> {
    if (!this.profiler) return;
    this.profileText = await this.profiler.stop(path.join(this.dir, 'profile.txt'));
    this.profiler = null;
  }

  /** Sum of a numeric field over the workers' answers. */
  static sum<T>(list: T[], f: (t: T) => number): number {
    return list.reduce((a, t) => a + f(t), 0);
  }

  /** Tears everything down and builds the summary. */
  async finish(outcome: RunOutcome | null, failure: unknown): Promise<RunSummary> {
    this.progress?.stop();
    await this.stopProfile().catch(() => {});
    if (failure) this.metrics.error('run', failure instanceof Error ? failure.message : String(failure));
    if (this.pool) {
      await this.pool.all('closeAll').catch(() => {});
      await sleep(200);
      await this.pool.stop();
    }
    for (const c of this.organizers) c.destroy();
    if (this.sampler) clearInterval(this.sampler);
    for (const i of this.inspectors) i.close();
    if (this.server) {
      this.metrics.addServer(this.server.read());
      if (this.serverKind === 'hub' && this.server.alive) this.hubReported = await scrapeHubMetrics(this.server.httpUrl);
      await this.server.stop();
    }
    return summarize(this, outcome, this.serverKind);
  }
}

/** Builds a run's summary from its metrics. */
export function summarize(env: { metrics: RunMetrics; name: string; scenario: ScenarioName; variant: string; rooms: { members: unknown[] }[]; profileText?: string | undefined; hubReported?: HubReported | null; quiet?: { waitedSeconds: number; otherPct: number } }, outcome: RunOutcome | null, server: 'hub' | 'hocuspocus' = 'hub'): RunSummary {
  const m = env.metrics;
  const srv = m.server;
  const cpu = srv.map((s) => s.cpuPct);
  const latency = m.latencies();
  const counters: Record<string, { t: number; v: number }[]> = {};
  for (const name of m.counters.keys()) if (!name.startsWith('error.')) counters[name] = m.counterSeries(name);
  const cdf: Record<string, [number, number][]> = {};
  for (const [name, h] of m.hist) cdf[name] = h.cdf();
  const latencySeries: Record<string, ReturnType<RunMetrics['series']>> = {};
  for (const name of m.hist.keys()) latencySeries[name] = m.series(name);
  const checks = outcome?.checks ?? [];
  const avg = (xs: number[]) => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10 : 0);
  const other = srv.map((s) => s.otherPct);
  const interference = {
    otherPctAvg: avg(other),
    otherPctPeak: other.length ? Math.max(...other) : 0,
    harnessPctAvg: avg(srv.map((s) => s.harnessPct)),
    loadAvg1: Math.round(os.loadavg()[0]! * 100) / 100,
    waitedForQuietSeconds: env.quiet?.waitedSeconds ?? 0,
    otherPctAtStart: env.quiet?.otherPct ?? 0,
  };
  const notes = [...(outcome?.notes ?? [])];
  if (interference.otherPctAvg > 25) {
    notes.push(`Other processes on this machine used ${interference.otherPctAvg}% of a core on average (peak ${interference.otherPctPeak}%) during this run: latencies include that interference.`);
  }
  const gen = m.generatorSeries();
  const busy = gen.filter((g) => g.elu >= 0.9).length;
  if (gen.length > 0 && busy / gen.length > 0.3) notes.push(`The load generator was saturated (a worker thread at >= 90% utilization) in ${busy} of ${gen.length} seconds: latencies are an upper bound.`);
  const errors = m.errorCount;
  checks.unshift({ name: 'no errors', target: '= 0', value: errors, unit: 'errors', pass: errors === 0 });
  const values = { ...(outcome?.values ?? {}) };
  const frames = m.counterSeries('frames.in');
  if (frames.length > 0) {
    values.framesReceivedPeakPerSecond = Math.max(...frames.map((f) => f.v));
    values.bytesReceivedPeakPerSecond = Math.max(...m.counterSeries('bytes.in').map((f) => f.v));
  }
  return {
    name: env.name,
    scenario: env.scenario,
    variant: env.variant,
    server,
    rooms: env.rooms.map((r) => r.members.length),
    connections: outcome?.connections ?? 0,
    seconds: Math.round(m.elapsed() * 10) / 10,
    latency,
    values,
    errors: { total: errors, byKind: m.errorsByKind(), samples: m.errors.slice(0, 20) },
    serverStats: {
      cpuPctAvg: cpu.length ? Math.round((cpu.reduce((a, b) => a + b, 0) / cpu.length) * 10) / 10 : 0,
      cpuPctPeak: cpu.length ? Math.max(...cpu) : 0,
      rssStartMB: srv[0]?.rssMB ?? 0,
      rssPeakMB: srv.length ? Math.max(...srv.map((s) => s.rssMB)) : 0,
      rssEndMB: srv.at(-1)?.rssMB ?? 0,
    },
    generator: {
      eluPeak: gen.length ? Math.max(...gen.map((g) => g.elu)) : 0,
      eluAvg: gen.length ? Math.round((gen.reduce((a, g) => a + g.elu, 0) / gen.length) * 100) / 100 : 0,
    },
    checks,
    notes,
    interference,
    charts: { latency: latencySeries, cdf, counters, server: srv, generator: gen, marks: m.marks },
    ...(env.profileText ? { profile: env.profileText } : {}),
    ...(env.hubReported ? { hubReported: env.hubReported } : {}),
  };
}
