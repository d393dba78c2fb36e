/** The self-contained HTML report: targets, the fan-out comparison, and per run its tables and charts. */
import fs from 'node:fs';
import { TARGETS } from '../../scenarios/definitions.ts';
import type { BenchSummary, Check, RunSummary } from '../options.ts';
import { barChart, lineChart, type Line } from './svg.ts';
import { fanoutLabel } from './text.ts';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function checksTable(checks: Check[]): string {
  const rows = checks
    .map((c) => `<tr class="${c.pass ? 'pass' : 'miss'}"><td>${c.pass ? 'PASS' : 'MISS'}</td><td>${esc(c.name)}</td><td>${Number.isFinite(c.value) ? c.value : '—'} ${esc(c.unit)}</td><td>${esc(c.target)}</td></tr>`)
    .join('');
  return `<table><tr><th></th><th>check</th><th>measured</th><th>target</th></tr>${rows}</table>`;
}

/** Reference lines for the latencies that have targets. */
function targetLines(name: string): { y: number; label: string }[] {
  if (name === 'vote.ballot-ack') return [{ y: TARGETS.ballotAckP99Ms, label: `target p99 ${TARGETS.ballotAckP99Ms} ms` }];
  if (name === 'vote.tally-visible') return [{ y: TARGETS.tallyVisibleP99Ms, label: `target p99 ${TARGETS.tallyVisibleP99Ms} ms` }];
  if (name === 'reconnect.resync') return [{ y: TARGETS.resyncAllMs, label: `target ${TARGETS.resyncAllMs} ms` }];
  return [];
}

function runSection(r: RunSummary): string {
  const c = r.charts;
  const parts: string[] = [];
  parts.push(`<section><h2 id="${r.name}">${esc(r.name)} <small>[${r.server}] rooms ${r.rooms.join('/')}, ${r.connections} connections, ${r.seconds} s, errors ${r.errors.total}</small></h2>`);
  parts.push(checksTable(r.checks));
  const lat = Object.entries(r.latency)
    .map(([n, s]) => `<tr><td>${esc(n)}</td><td>${s.count}</td><td>${s.p50}</td><td>${s.p90}</td><td>${s.p95}</td><td>${s.p99}</td><td>${s.p999}</td><td>${s.max}</td></tr>`)
    .join('');
  parts.push(`<table><tr><th>latency (ms)</th><th>count</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th></tr>${lat}</table>`);
  parts.push(`<p class="values">${Object.entries(r.values).map(([k, v]) => `<span><b>${esc(k)}</b> ${v}</span>`).join(' ')}</p>`);
  parts.push(`<p class="values"><span><b>server CPU</b> avg ${r.serverStats.cpuPctAvg}% peak ${r.serverStats.cpuPctPeak}%</span> <span><b>server RSS</b> ${r.serverStats.rssStartMB} → peak ${r.serverStats.rssPeakMB} → ${r.serverStats.rssEndMB} MB</span> <span><b>generator utilization</b> avg ${r.generator.eluAvg}, peak ${r.generator.eluPeak}</span> <span><b>other processes</b> avg ${r.interference.otherPctAvg}% peak ${r.interference.otherPctPeak}% of a core</span></p>`);
  if (r.hubReported) {
    const rows = Object.entries(r.hubReported.commands).map(([t, c]) => `<tr><td>${esc(t)}</td><td>${c.count}</td><td>≤ ${c.p50UpToMs}</td><td>≤ ${c.p99UpToMs}</td></tr>`).join('');
    if (rows) parts.push(`<table><tr><th>inside the hub (receipt → durable result)</th><th>count</th><th>p50 ms</th><th>p99 ms</th></tr>${rows}</table>`);
    parts.push(`<p class="values"><span><b>hub frames sent</b> ${r.hubReported.framesOut}</span> <span><b>session closes by code</b> ${esc(JSON.stringify(r.hubReported.closesByCode))}</span></p>`);
  }
  for (const n of r.notes) parts.push(`<p class="note">${esc(n)}</p>`);
  if (c) {
    const marks = c.marks.map((m) => ({ x: m.t, label: m.name }));
    const charts: string[] = [];
    for (const [name, series] of Object.entries(c.latency)) {
      // Joins are a short burst at the start: their distribution says more than a time series.
      if (series.length < 3 || name.startsWith('join.')) continue;
      const lines: Line[] = [
        { name: `${name} p50`, points: series.map((p) => [p.t, p.p50]) },
        { name: `${name} p99`, points: series.map((p) => [p.t, p.p99]) },
        { name: `${name} max`, points: series.map((p) => [p.t, p.max]), dashed: true },
      ];
      charts.push(lineChart(lines, { title: `${name} over time`, xLabel: 'seconds', yLabel: 'ms', marks, hlines: targetLines(name) }));
    }
    const cdfLines: Line[] = Object.entries(c.cdf).map(([name, pts]) => ({ name, points: pts.map(([v, f]) => [Math.max(v, 0.001), f * 100]) }));
    if (cdfLines.length > 0) charts.push(lineChart(cdfLines, { title: 'latency distribution (CDF)', xLabel: 'ms (log)', yLabel: '% of samples', logX: true, yMin: 0 }));
    charts.push(
      lineChart(
        [
          { name: 'server CPU %', points: c.server.map((s) => [s.t, s.cpuPct]) },
          { name: 'generator busiest thread %', points: c.generator.map((g) => [g.t, g.elu * 100]), dashed: true },
          { name: 'harness (all threads) %', points: c.server.map((s) => [s.t, s.harnessPct]) },
          { name: 'other processes %', points: c.server.map((s) => [s.t, s.otherPct]), dashed: true },
        ],
        { title: 'CPU', xLabel: 'seconds', yLabel: '% of one core', marks },
      ),
    );
    charts.push(lineChart([{ name: 'server RSS MB', points: c.server.map((s) => [s.t, s.rssMB]) }], { title: 'server memory', xLabel: 'seconds', yLabel: 'MB', marks }));
    const rates = Object.entries(c.counters).filter(([n]) => ['join.ok', 'vote.ballots', 'presence.sent', 'frames.in'].includes(n));
    if (rates.length > 0) charts.push(lineChart(rates.map(([n, pts]) => ({ name: `${n}/s`, points: pts.map((p) => [p.t, p.v]) })), { title: 'events per second', xLabel: 'seconds', yLabel: 'per second', marks }));
    parts.push(`<div class="charts">${charts.join('')}</div>`);
  }
  if (r.errors.samples.length > 0) parts.push(`<details><summary>errors (${r.errors.total}): ${esc(JSON.stringify(r.errors.byKind))}</summary><pre>${esc(r.errors.samples.join('\n'))}</pre></details>`);
  if (r.profile) parts.push(`<details><summary>server CPU profile (perf, self time)</summary><pre>${esc(r.profile)}</pre></details>`);
  parts.push('</section>');
  return parts.join('\n');
}

/** Writes the report. */
export function writeHtmlReport(file: string, s: BenchSummary): void {
  const fanout = s.fanout.length
    ? `<section><h2>Fan-out comparison</h2><p>One writer appends ${s.options.fanoutChars} characters of Yjs text ${s.options.fanoutRate} times a second; N readers receive every update. Ratio = peer / ours (above 1: ours is better). CPU per delivered update is CPU time, the most robust of these numbers on a shared machine; latencies include whatever else ran (see each run's "other processes").</p>
<p class="note">"cluster" rows: each server runs as 2 processes on one Redis (appendfsync always), the writer on the first, readers split between them; CPU and memory are summed over both processes and Redis. Our hubs: the owner appends each update to the meeting's Redis stream and publishes it, the other hub relays it. Hocuspocus: its Redis extension publishes every update and each instance applies what the others publish.</p>
<p class="note">Memory: our readers join a meeting and receive its seven documents, including the roster of every participant (about 167 KB for 1,001 people); Hocuspocus readers receive one small document. The hub sends frames above 16 KB compressed (permessage-deflate, offered by these load clients as by browsers), because uWebSockets.js 20.30 (the build that loads on glibc 2.36) keeps each socket's send buffer at the size of the largest frame it was sent (uWebSockets.js issue #1150, fixed upstream in 2025); the JS heap growth is what a connection holds in JS.</p>
<table><tr><th>readers</th><th>server</th><th>p50 ms</th><th>p99 ms</th><th>CPU µs / delivered update</th><th>RSS KB / connection</th><th>heap KB / connection</th><th>errors</th></tr>
${s.fanout
  .map(
    (c) =>
      `<tr><td>${fanoutLabel(c)}</td><td>ours</td><td>${c.ours.p50}</td><td>${c.ours.p99}</td><td>${c.ours.cpuUsPerDelivery}</td><td>${c.ours.rssKBPerConnection}</td><td>${c.ours.heapKBPerConnection}</td><td>${c.ours.errors}</td></tr>` +
      `<tr><td>${fanoutLabel(c)}</td><td>${esc(c.peer.name)}</td><td>${c.peer.p50}</td><td>${c.peer.p99}</td><td>${c.peer.cpuUsPerDelivery}</td><td>${c.peer.rssKBPerConnection}</td><td>${c.peer.heapKBPerConnection}</td><td>${c.peer.errors}</td></tr>` +
      `<tr class="ratio"><td>${fanoutLabel(c)}</td><td>ratio</td><td>${c.ratios.p50}x</td><td>${c.ratios.p99}x</td><td>${c.ratios.cpuPerDelivery}x</td><td>${c.ratios.memoryPerConnection}x</td><td></td><td></td></tr>`,
  )
  .join('')}</table>
<div class="charts">${s.fanout
        .map((c) =>
          barChart(
            [
              { label: 'delivery p99', bars: [{ name: 'ours', value: c.ours.p99, unit: 'ms' }, { name: c.peer.name, value: c.peer.p99, unit: 'ms' }] },
              { label: 'CPU per delivered update', bars: [{ name: 'ours', value: c.ours.cpuUsPerDelivery, unit: 'µs' }, { name: c.peer.name, value: c.peer.cpuUsPerDelivery, unit: 'µs' }] },
              { label: 'RSS per connection', bars: [{ name: 'ours', value: c.ours.rssKBPerConnection, unit: 'KB' }, { name: c.peer.name, value: c.peer.rssKBPerConnection, unit: 'KB' }] },
            ],
            `${c.readers} readers${c.topology === 'cluster' ? ', cluster (2 processes + Redis)' : ''}`,
          ),
        )
        .join('')}</div></section>`
    : '';
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Agora Meet load benchmark ${esc(s.startedAt)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#111;max-width:1250px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td:nth-child(2),th:nth-child(2),td:first-child{text-align:left}
tr.pass td:first-child{color:#15803d;font-weight:bold}tr.miss td:first-child{color:#b91c1c;font-weight:bold}tr.ratio{background:#f3f4f6;font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:10px}.charts svg{border:1px solid #eee;background:#fff}
.values span{display:inline-block;margin-right:14px;font-size:13px}.note{font-size:13px;color:#444}
section{border-top:2px solid #ddd;margin-top:22px;padding-top:6px}h2 small{font-weight:normal;color:#555;font-size:13px}pre{font-size:11px;overflow:auto}
</style></head><body>
<h1>Agora Meet load benchmark</h1>
<p>${esc(s.startedAt)}, ${s.seconds} s. ${s.machine.cpus} CPUs (${esc(s.machine.cpuModel)}), ${s.machine.memoryGB} GB, Node ${esc(s.machine.node)}, ${esc(s.machine.platform)}; load average ${s.machine.loadAvgAtStart.join(' ')} at start, ${s.machine.loadAvgAtEnd.join(' ')} at end. Provisioning: ${s.provisioning.meetings} meetings, ${s.provisioning.participants} participants in ${s.provisioning.seconds} s.</p>
<details><summary>options</summary><pre>${esc(JSON.stringify(s.options, null, 2))}</pre></details>
<section><h2>Targets</h2>${checksTable(s.targets)}</section>
${fanout}
<p>Runs: ${s.runs.map((r) => `<a href="#${r.name}">${esc(r.name)}</a>`).join(' · ')}</p>
${s.runs.map(runSection).join('\n')}
</body></html>`;
  fs.writeFileSync(file, html);
}
