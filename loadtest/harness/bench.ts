/**
 * The benchmark: provisions meetings once (a data directory every run starts from), runs each
 * requested scenario in each layout against a fresh hub child, runs the fan-out comparison, and
 * writes summary.json, series.json and report.html into the results directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TARGETS, roomsOf, type Layout, type ScenarioName } from '../scenarios/definitions.ts';
import type { BenchOptions, BenchSummary, Check, FanoutComparison, RunSummary } from './options.ts';
import { login, provisionRooms, type ProvisionedRoom } from './provision.ts';
import { provisionDirect } from './provisionDirect.ts';
import { demoOrganizerInvite, startHubProcess } from './ServerProcess.ts';
import { RunEnv, type RunOutcome } from './RunEnv.ts';
import { TestRedis } from '../../server/test/clusterHarness.ts';
import { runFill, FILL_KEYS } from './runs/fill.ts';
import { runChat, CHAT_KEYS } from './runs/chat.ts';
import { runVote, VOTE_KEYS } from './runs/vote.ts';
import { runReconnect, RECONNECT_KEYS } from './runs/reconnect.ts';
import { runFanout } from './runs/fanout.ts';
import { writeHtmlReport } from './report/html.ts';
import { formatSummary } from './report/text.ts';
import { nowMs } from './clock.ts';

type HubScenario = Exclude<ScenarioName, 'fanout'>;

const RUNNERS: Record<HubScenario, { run: (env: RunEnv) => Promise<RunOutcome>; keys: string[] }> = {
  fill: { run: runFill, keys: FILL_KEYS },
  vote: { run: runVote, keys: VOTE_KEYS },
  chat: { run: runChat, keys: CHAT_KEYS },
  reconnect: { run: runReconnect, keys: RECONNECT_KEYS },
};

/** The provisioned meetings: rooms of `roomSize`, and one large room (also the fan-out's). */
export interface Provisioned {
  rooms: ProvisionedRoom[];
  single: ProvisionedRoom | null;
  /** The fan-out's room in a cluster's storage (SQLite and Redis, under `clusterTemplate`). */
  cluster: ProvisionedRoom | null;
}

/** Runs the benchmark; resolves with its summary (also written to opts.outDir). */
export async function runBench(opts: BenchOptions, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<BenchSummary> {
  const t0 = nowMs();
  const startedAt = new Date().toISOString();
  const loadAvgAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  fs.mkdirSync(opts.outDir, { recursive: true });
  const hubScenarios = opts.scenarios.filter((s): s is HubScenario => s !== 'fanout');
  const fanout = opts.scenarios.includes('fanout');

  log(`results: ${opts.outDir}`);
  const template = path.join(opts.outDir, 'template');
  const clusterTemplate = path.join(opts.outDir, 'template-cluster');
  const p0 = nowMs();
  const prov = await provision(opts, template, hubScenarios.length > 0, fanout, log);
  if (fanout && opts.fanoutTopologies.includes('cluster')) prov.cluster = await provisionCluster(opts, clusterTemplate, opts.quiet ? () => {} : log);
  const provisioning = {
    method: opts.provision,
    seconds: Math.round((nowMs() - p0) / 100) / 10,
    participants: [...prov.rooms, prov.single, prov.cluster].reduce((a, r) => a + (r?.members.length ?? 0), 0),
    meetings: [...prov.rooms, prov.single, prov.cluster].filter((r) => r).length,
  };
  log(`provisioned ${provisioning.meetings} meetings, ${provisioning.participants} participants in ${provisioning.seconds} s`);

  const runs: RunSummary[] = [];
  for (const scenario of hubScenarios) {
    for (const layout of opts.layouts) {
      const rooms = roomsFor(prov, layout, opts);
      const dir = path.join(opts.outDir, 'runs', `${scenario}-${layout}`);
      fs.mkdirSync(dir, { recursive: true });
      const env = new RunEnv(opts, scenario, layout, rooms, dir);
      let outcome: RunOutcome | null = null;
      let failure: unknown = null;
      log(`\n== ${env.name}: ${rooms.length} room(s) of ${rooms.map((r) => r.members.length).join('/')} connections`);
      try {
        await env.waitQuiet();
        await env.startHub(template, RUNNERS[scenario].keys);
        outcome = await RUNNERS[scenario].run(env);
      } catch (err) {
        failure = err;
        log(`run ${env.name} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      }
      const summary = await env.finish(outcome, failure);
      runs.push(summary);
      log(formatRunLine(summary));
    }
  }

  const comparisons: FanoutComparison[] = [];
  if (fanout) {
    for (const topology of opts.fanoutTopologies) {
      const room = topology === 'cluster' ? prov.cluster : prov.single;
      if (!room) continue;
      for (const readers of opts.fanoutReaders) {
        const r = await runFanout(opts, { room, template: topology === 'cluster' ? clusterTemplate : template }, topology, readers, log);
        runs.push(...r.runs);
        for (const s of r.runs) log(formatRunLine(s));
        if (r.comparison) comparisons.push(r.comparison);
      }
    }
  }

  const summary: BenchSummary = {
    startedAt,
    finishedAt: new Date().toISOString(),
    seconds: Math.round((nowMs() - t0) / 100) / 10,
    machine: {
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGB: Math.round(os.totalmem() / 1024 ** 3),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadAvgAtStart,
      loadAvgAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
    },
    options: { ...opts, outDir: undefined, quiet: undefined } as BenchSummary['options'],
    runs,
    fanout: comparisons,
    targets: targetChecks(runs, comparisons),
    provisioning,
  };
  writeOutputs(opts.outDir, summary);
  fs.rmSync(template, { recursive: true, force: true });
  fs.rmSync(clusterTemplate, { recursive: true, force: true });
  return summary;
}

/** Writes summary.json (no chart data), series.json (chart data) and report.html. */
function writeOutputs(dir: string, summary: BenchSummary): void {
  const lean = { ...summary, runs: summary.runs.map(({ charts: _c, ...r }) => r) };
  fs.writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(lean, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'series.json'), JSON.stringify(summary.runs.map((r) => ({ name: r.name, charts: r.charts }))));
  writeHtmlReport(path.join(dir, 'report.html'), summary);
  fs.writeFileSync(path.join(dir, 'summary.txt'), formatSummary(summary));
  // Convenience copies of the latest results.
  const parent = path.dirname(dir);
  fs.copyFileSync(path.join(dir, 'summary.json'), path.join(parent, 'latest.json'));
  fs.copyFileSync(path.join(dir, 'report.html'), path.join(parent, 'latest.html'));
}

/** The rooms a layout runs in. */
function roomsFor(prov: Provisioned, layout: Layout, opts: BenchOptions): ProvisionedRoom[] {
  if (layout === 'rooms') return prov.rooms;
  if (!prov.single) throw new Error('no single room was provisioned');
  return [{ ...prov.single, members: prov.single.members.slice(0, opts.connections) }];
}

/** Creates every meeting the requested runs need, in a data directory each run copies. */
async function provision(opts: BenchOptions, dir: string, hubRuns: boolean, fanout: boolean, log: (l: string) => void): Promise<Provisioned> {
  fs.mkdirSync(dir, { recursive: true });
  const progress = opts.quiet ? () => {} : log;
  const wantRooms = hubRuns && opts.layouts.includes('rooms');
  const fanoutSingle = fanout && opts.fanoutTopologies.includes('single');
  const singleSize = Math.max(hubRuns && opts.layouts.includes('single') ? opts.connections : 0, fanoutSingle ? Math.max(...opts.fanoutReaders) + 1 : 0);
  if (opts.provision === 'direct') {
    const groups = [...(wantRooms ? [{ tag: 'rm', sizes: roomsOf('rooms', opts.connections, opts.roomSize) }] : []), ...(singleSize > 0 ? [{ tag: 'sg', sizes: [singleSize] }] : [])];
    const made = await provisionDirect(dir, groups, opts.hubEnv, progress);
    return { rooms: made.rm ?? [], single: made.sg?.[0] ?? null, cluster: null };
  }
  const logFile = path.join(dir, 'provision.log');
  // Provisioning is not measured: without an fsync per commit it takes seconds instead of minutes
  // on a busy disk (the WAL is complete after the graceful stop, and every run copies it).
  const hub = await startHubProcess({ dataDir: dir, logFile, env: { ...opts.hubEnv, SQLITE_SYNCHRONOUS: 'NORMAL' } });
  try {
    const invite = demoOrganizerInvite(logFile);
    if (!invite) throw new Error(`the hub printed no demo organizer link; see ${logFile}`);
    const organizer = await login(hub.httpUrl, invite);
    const ws = `${hub.wsBase}/ws`;
    const rooms = wantRooms ? await provisionRooms(hub.httpUrl, ws, organizer, 'rm', roomsOf('rooms', opts.connections, opts.roomSize), progress) : [];
    const single = singleSize > 0 ? (await provisionRooms(hub.httpUrl, ws, organizer, 'sg', [singleSize], progress))[0]! : null;
    return { rooms, single, cluster: null };
  } finally {
    await hub.stop();
  }
}

/**
 * The fan-out's room for the cluster topology: a Redis (kept as files in `dir`/redis) and the
 * SQLite data (`dir`/data) written by an in-process hub in cluster mode, so the meeting's log is
 * in Redis as a cluster keeps it. Every cluster run starts from a copy.
 */
async function provisionCluster(opts: BenchOptions, dir: string, progress: (l: string) => void): Promise<ProvisionedRoom> {
  const redis = await TestRedis.start(path.join(dir, 'redis'));
  try {
    const made = await provisionDirect(path.join(dir, 'data'), [{ tag: 'cl', sizes: [Math.max(...opts.fanoutReaders) + 1] }], { ...opts.hubEnv, REDIS_URL: redis.url }, progress);
    return made.cl![0]!;
  } finally {
    await redis.stop();
  }
}

function formatRunLine(r: RunSummary): string {
  const checks = r.checks.map((c) => `${c.pass ? 'PASS' : 'MISS'} ${c.name}: ${c.value} ${c.unit} (${c.target})`).join('; ');
  return `   ${r.name} [${r.server}] ${r.connections} conns, ${r.seconds}s, errors ${r.errors.total}. ${checks}`;
}

/** The targets, judged over all runs. */
function targetChecks(runs: RunSummary[], fanout: FanoutComparison[]): Check[] {
  const checks: Check[] = [];
  const hubRuns = runs.filter((r) => r.server === 'hub');
  const fills = hubRuns.filter((r) => r.scenario === 'fill');
  for (const r of fills) {
    checks.push({ name: `${r.name}: ${TARGETS.connections} connections held with no errors`, target: '0 errors', value: r.errors.total + Math.max(0, r.connections - (r.values.connectedAtEnd ?? 0)), unit: 'errors', pass: r.errors.total === 0 && r.values.connectedAtEnd === r.connections && r.connections >= TARGETS.connections });
    if (r.values.rssPerConnectionKB !== undefined) checks.push({ name: `${r.name}: memory per idle connection`, target: `< ${TARGETS.idleBytesPerConnection / 1024} KB`, value: r.values.rssPerConnectionKB, unit: 'KB', pass: r.values.rssPerConnectionKB < TARGETS.idleBytesPerConnection / 1024 });
  }
  for (const r of hubRuns.filter((x) => x.scenario === 'vote')) {
    const ack = r.latency['vote.ballot-ack'];
    const tally = r.latency['vote.tally-visible'];
    checks.push({ name: `${r.name}: ballot acknowledgement p99`, target: `< ${TARGETS.ballotAckP99Ms} ms`, value: ack?.p99 ?? NaN, unit: 'ms', pass: (ack?.p99 ?? Infinity) < TARGETS.ballotAckP99Ms });
    checks.push({ name: `${r.name}: final tally visible p99`, target: `< ${TARGETS.tallyVisibleP99Ms} ms`, value: tally?.p99 ?? NaN, unit: 'ms', pass: (tally?.p99 ?? Infinity) < TARGETS.tallyVisibleP99Ms });
  }
  for (const r of hubRuns.filter((x) => x.scenario === 'reconnect')) {
    const v = r.values.allResyncedMs ?? NaN;
    checks.push({ name: `${r.name}: every client fully resynced`, target: `< ${TARGETS.resyncAllMs} ms`, value: v, unit: 'ms', pass: v < TARGETS.resyncAllMs && r.values.failed === 0 });
  }
  for (const r of hubRuns.filter((x) => x.scenario === 'chat')) {
    checks.push({ name: `${r.name}: burst delivered with no errors`, target: '0 errors', value: r.errors.total, unit: 'errors', pass: r.errors.total === 0 });
  }
  for (const c of fanout) {
    const tag = `fanout-${c.readers}${c.topology === 'cluster' ? ' cluster' : ''}`;
    checks.push({ name: `${tag}: p99 latency, ${c.peer.name} / ours`, target: `>= ${TARGETS.fanoutAdvantage}x`, value: c.ratios.p99, unit: 'x', pass: c.ratios.p99 >= TARGETS.fanoutAdvantage });
    checks.push({ name: `${tag}: CPU per delivered update, ${c.peer.name} / ours`, target: `>= ${TARGETS.fanoutAdvantage}x`, value: c.ratios.cpuPerDelivery, unit: 'x', pass: c.ratios.cpuPerDelivery >= TARGETS.fanoutAdvantage });
  }
  return checks;
}
