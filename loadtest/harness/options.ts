/** Options of a benchmark, with defaults from the shared scenario definitions, and the result shapes. */
import os from 'node:os';
import path from 'node:path';
import { DEFAULTS, LAYOUTS, SCENARIOS, type Layout, type ScenarioName } from '../scenarios/definitions.ts';
import type { LatencyStats } from './Histogram.ts';
import type { HubReported } from './hubMetrics.ts';
import type { SeriesPoint, ServerSample } from './RunMetrics.ts';
import { REPO_ROOT } from './ServerProcess.ts';

/** How the fan-out's servers run: one process, or a cluster of processes and one Redis. */
export type FanoutTopology = 'single' | 'cluster';
export const FANOUT_TOPOLOGIES: readonly FanoutTopology[] = ['single', 'cluster'];

/** Everything a benchmark run can be told. */
export interface BenchOptions {
  scenarios: ScenarioName[];
  layouts: Layout[];
  connections: number;
  roomSize: number;
  connectRate: number;
  heartbeatMs: number;
  holdSeconds: number;
  chatRate: number;
  chatSeconds: number;
  annotationShare: number;
  messageChars: number;
  voteWindowMs: number;
  reconnectSettleSeconds: number;
  reconnectTimeoutSeconds: number;
  fanoutReaders: number[];
  fanoutRate: number;
  fanoutSeconds: number;
  fanoutChars: number;
  fanoutWarmupSeconds: number;
  /** One server process, and/or a cluster of processes on one Redis (runs/fanout.ts). */
  fanoutTopologies: FanoutTopology[];
  /** Peer servers in the fan-out comparison (empty: ours only). */
  peers: ('hocuspocus')[];
  /** Load-generator worker threads. */
  workers: number;
  /** Every n-th client keeps full Yjs replicas that are checked at the end (0: none). */
  replicaSample: number;
  /** Extra environment for the hub child (e.g. SQLITE_SYNCHRONOUS=NORMAL). */
  hubEnv: Record<string, string>;
  /** Record a `perf` CPU profile of the server during each run's measured phase. */
  profile: boolean;
  /** Before each run, wait up to this long for other processes to use less than quietBelowPct of a core. */
  quietWaitSeconds: number;
  quietBelowPct: number;
  /** How meetings and participants are created: in-process storage writes (fast) or the HTTP API. */
  provision: 'direct' | 'http';
  /** Results directory (created). */
  outDir: string;
  quiet: boolean;
}

/** Defaults: every scenario, both layouts, the numbers. */
export function defaultOptions(): BenchOptions {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return {
    scenarios: [...SCENARIOS],
    layouts: [...LAYOUTS],
    connections: DEFAULTS.connections,
    roomSize: DEFAULTS.roomSize,
    connectRate: DEFAULTS.connectRate,
    heartbeatMs: DEFAULTS.heartbeatMs,
    holdSeconds: DEFAULTS.holdSeconds,
    chatRate: DEFAULTS.chatRate,
    chatSeconds: DEFAULTS.chatSeconds,
    annotationShare: DEFAULTS.annotationShare,
    messageChars: DEFAULTS.messageChars,
    voteWindowMs: DEFAULTS.voteWindowMs,
    reconnectSettleSeconds: DEFAULTS.reconnectSettleSeconds,
    reconnectTimeoutSeconds: DEFAULTS.reconnectTimeoutSeconds,
    fanoutReaders: [...DEFAULTS.fanoutReaders],
    fanoutRate: DEFAULTS.fanoutRate,
    fanoutSeconds: DEFAULTS.fanoutSeconds,
    fanoutChars: DEFAULTS.fanoutChars,
    fanoutWarmupSeconds: DEFAULTS.fanoutWarmupSeconds,
    fanoutTopologies: [...FANOUT_TOPOLOGIES],
    peers: ['hocuspocus'],
    workers: Math.max(2, Math.min(4, os.availableParallelism())),
    replicaSample: 50,
    hubEnv: {},
    profile: false,
    quietWaitSeconds: 10,
    quietBelowPct: 40,
    provision: 'direct',
    outDir: path.join(REPO_ROOT, 'loadtest', 'results', stamp),
    quiet: false,
  };
}

/** A target check of one run. */
export interface Check {
  name: string;
  target: string;
  value: number;
  unit: string;
  pass: boolean;
}

/** The result of one run (one scenario in one layout, or one server in one fan-out size). */
export interface RunSummary {
  name: string;
  scenario: ScenarioName;
  variant: string;
  server: 'hub' | 'hocuspocus';
  rooms: number[];
  connections: number;
  seconds: number;
  latency: Record<string, LatencyStats>;
  /** Scenario-specific numbers (throughput, memory per connection, resync time...). */
  values: Record<string, number>;
  errors: { total: number; byKind: Record<string, number>; samples: string[] };
  serverStats: { cpuPctAvg: number; cpuPctPeak: number; rssStartMB: number; rssPeakMB: number; rssEndMB: number };
  /** CPU of everything else on the machine during the run (other processes), % of one core, and the load average at the end. */
  interference: { otherPctAvg: number; otherPctPeak: number; harnessPctAvg: number; loadAvg1: number; waitedForQuietSeconds: number; otherPctAtStart: number };
  generator: { eluPeak: number; eluAvg: number };
  checks: Check[];
  notes: string[];
  /** Chart data (written to the HTML report and series.json, left out of summary.json). */
  charts?: {
    latency: Record<string, SeriesPoint[]>;
    cdf: Record<string, [number, number][]>;
    counters: Record<string, { t: number; v: number }[]>;
    server: ServerSample[];
    generator: { t: number; elu: number }[];
    marks: { name: string; t: number }[];
  };
  /** A text summary of the server's CPU profile (--profile). */
  profile?: string;
  /** The hub's own metrics (command latency inside the hub, frames sent, closes by code). */
  hubReported?: HubReported;
}

/** The fan-out comparison of one reader count. */
export interface FanoutComparison {
  readers: number;
  topology: FanoutTopology;
  ours: FanoutNumbers;
  peer: FanoutNumbers & { name: string };
  /** peer / ours: above 1 means we are better (lower latency, less CPU, less memory). */
  ratios: { p50: number; p99: number; cpuPerDelivery: number; memoryPerConnection: number };
}

/** The numbers compared in the fan-out. */
export interface FanoutNumbers {
  p50: number;
  p99: number;
  cpuUsPerDelivery: number;
  rssKBPerConnection: number;
  heapKBPerConnection: number;
  deliveries: number;
  errors: number;
}

/** The whole benchmark. */
export interface BenchSummary {
  startedAt: string;
  finishedAt: string;
  seconds: number;
  machine: { cpus: number; cpuModel: string; memoryGB: number; node: string; platform: string; loadAvgAtStart: number[]; loadAvgAtEnd: number[] };
  options: Omit<BenchOptions, 'outDir' | 'quiet'>;
  runs: RunSummary[];
  fanout: FanoutComparison[];
  targets: Check[];
  provisioning: { method: 'direct' | 'http'; seconds: number; participants: number; meetings: number };
}

/** Names accepted on the command line. */
export function parseScenarios(arg: string): ScenarioName[] {
  if (arg === 'all') return [...SCENARIOS];
  const names = arg.split(',').map((s) => s.trim());
  for (const n of names) if (!(SCENARIOS as readonly string[]).includes(n)) throw new Error(`unknown scenario "${n}" (use one of: all, ${SCENARIOS.join(', ')})`);
  return names as ScenarioName[];
}
