/** The plain-text summary printed at the end of a benchmark (and saved as summary.txt). */
import type { BenchSummary, FanoutComparison, RunSummary } from '../options.ts';

const pad = (s: string | number, n: number) => String(s).padEnd(n);
const lpad = (s: string | number, n: number) => String(s).padStart(n);

function latencyTable(r: RunSummary): string[] {
  const out = [`    ${pad('latency (ms)', 26)}${lpad('count', 9)}${lpad('p50', 9)}${lpad('p95', 9)}${lpad('p99', 9)}${lpad('max', 10)}`];
  for (const [name, s] of Object.entries(r.latency)) {
    out.push(`    ${pad(name, 26)}${lpad(s.count, 9)}${lpad(s.p50.toFixed(2), 9)}${lpad(s.p95.toFixed(2), 9)}${lpad(s.p99.toFixed(2), 9)}${lpad(s.max.toFixed(2), 10)}`);
  }
  return out;
}

/** A readable summary of the whole benchmark. */
export function formatSummary(s: BenchSummary): string {
  const lines: string[] = [];
  lines.push(`Agora Meet load benchmark, ${s.startedAt} (${s.seconds} s)`);
  lines.push(`machine: ${s.machine.cpus} CPUs (${s.machine.cpuModel}), ${s.machine.memoryGB} GB, Node ${s.machine.node}, ${s.machine.platform}; load average ${s.machine.loadAvgAtStart.join(' ')} at start, ${s.machine.loadAvgAtEnd.join(' ')} at end`);
  lines.push(`provisioning: ${s.provisioning.meetings} meetings, ${s.provisioning.participants} participants in ${s.provisioning.seconds} s (${s.provisioning.method === 'http' ? 'HTTP API' : 'hub storage, in-process'})`);
  for (const r of s.runs) {
    lines.push('');
    lines.push(`== ${r.name} [${r.server}] rooms ${r.rooms.join('/')}, ${r.connections} connections, ${r.seconds} s, errors ${r.errors.total}`);
    lines.push(...latencyTable(r));
    const vals = Object.entries(r.values).map(([k, v]) => `${k}=${v}`);
    for (let i = 0; i < vals.length; i += 5) lines.push(`    ${vals.slice(i, i + 5).join('  ')}`);
    lines.push(`    server: cpu avg ${r.serverStats.cpuPctAvg}% peak ${r.serverStats.cpuPctPeak}%, rss ${r.serverStats.rssStartMB} -> peak ${r.serverStats.rssPeakMB} -> ${r.serverStats.rssEndMB} MB; generator elu avg ${r.generator.eluAvg} peak ${r.generator.eluPeak}`);
    lines.push(`    machine: other processes avg ${r.interference.otherPctAvg}% peak ${r.interference.otherPctPeak}% of a core (${r.interference.otherPctAtStart}% at start, after waiting ${r.interference.waitedForQuietSeconds} s), harness avg ${r.interference.harnessPctAvg}%, load average ${r.interference.loadAvg1}`);
    if (r.hubReported) {
      const cmds = Object.entries(r.hubReported.commands).map(([t, c]) => `${t} n=${c.count} p50<=${c.p50UpToMs}ms p99<=${c.p99UpToMs}ms`);
      if (cmds.length) lines.push(`    hub-side command latency (receipt -> durable result): ${cmds.join('; ')}`);
      lines.push(`    hub: ${r.hubReported.framesOut} frames sent; closes by code ${JSON.stringify(r.hubReported.closesByCode)}`);
    }
    for (const n of r.notes) lines.push(`    note: ${n}`);
    for (const c of r.checks) lines.push(`    ${c.pass ? 'PASS' : 'MISS'}  ${c.name}: ${c.value} ${c.unit} (target ${c.target})`);
    if (r.errors.total > 0) {
      lines.push(`    errors by kind: ${JSON.stringify(r.errors.byKind)}`);
      for (const e of r.errors.samples.slice(0, 5)) lines.push(`      ${e}`);
    }
  }
  if (s.fanout.length > 0) {
    lines.push('');
    lines.push('== fan-out comparison (ratio = peer / ours; above 1 means ours is better)');
    lines.push('   (our readers receive the meeting\'s 7 documents at join, including the roster of every participant; the hub compresses frames above 16 KB, since uWebSockets.js 20.30 keeps each socket\'s send buffer at the size of its largest frame, issue #1150; heap growth is what a connection holds in JS)');
    if (s.fanout.some((c) => c.topology === 'cluster')) lines.push('   ("cluster": 2 server processes and one Redis, readers split between them; CPU and memory summed over all three)');
    lines.push(`    ${pad('readers', 14)}${pad('server', 12)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('cpu us/delivery', 17)}${lpad('rss KB/conn', 13)}${lpad('heap KB/conn', 14)}${lpad('errors', 8)}`);
    for (const c of s.fanout) {
      for (const [name, n] of [['ours', c.ours], [c.peer.name, c.peer]] as const) {
        lines.push(`    ${pad(fanoutLabel(c), 14)}${pad(name, 12)}${lpad(n.p50.toFixed(2), 9)}${lpad(n.p99.toFixed(2), 9)}${lpad(n.cpuUsPerDelivery.toFixed(2), 17)}${lpad(n.rssKBPerConnection.toFixed(1), 13)}${lpad(n.heapKBPerConnection.toFixed(1), 14)}${lpad(n.errors, 8)}`);
      }
      lines.push(`    ${pad(fanoutLabel(c), 14)}${pad('ratio', 12)}${lpad(`${c.ratios.p50}x`, 9)}${lpad(`${c.ratios.p99}x`, 9)}${lpad(`${c.ratios.cpuPerDelivery}x`, 17)}${lpad(`${c.ratios.memoryPerConnection}x`, 13)}`);
    }
  }
  lines.push('');
  lines.push('== targets');
  for (const c of s.targets) lines.push(`    ${c.pass ? 'PASS' : 'MISS'}  ${c.name}: ${c.value} ${c.unit} (target ${c.target})`);
  return `${lines.join('\n')}\n`;
}

/** A fan-out comparison's row label: its reader count, and "cluster" for the cluster topology. */
export function fanoutLabel(c: FanoutComparison): string {
  return c.topology === 'cluster' ? `${c.readers} cluster` : String(c.readers);
}
