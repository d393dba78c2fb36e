/**
 * `npm run bench -- <scenario|all> [options]`: runs the load scenarios against a hub child process
 * (and Hocuspocus for the fan-out comparison), prints progress and a summary, and writes
 * summary.json and report.html under loadtest/results/.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LAYOUTS, type Layout } from '../scenarios/definitions.ts';
import { FANOUT_TOPOLOGIES, defaultOptions, parseScenarios, type BenchOptions, type FanoutTopology } from './options.ts';
import { runBench } from './bench.ts';
import { formatSummary } from './report/text.ts';

const HELP = `usage: npm run bench -- <all|fill|vote|chat|reconnect|fanout[,...]> [options]

  --connections N        connections per run, organizers included (default 1000)
  --room-size N          people per room in the "rooms" layout (default 150)
  --layouts L            rooms,single (default both: rooms of --room-size, and one room of --connections)
  --duration S           seconds of the fill hold, the chat burst and the fan-out stream
  --connect-rate N       new connections per second while filling (default 500)
  --heartbeat-ms MS      presence heartbeat (default 15000)
  --chat-rate N          messages per second per room (default 50)
  --annotation-share F   share of annotations in the burst (default 0.2)
  --vote-window MS       every voter casts within this window (default 2000)
  --fanout-readers LIST  reader counts of the fan-out comparison (default 100,1000)
  --fanout-rate N        updates per second of the fan-out writer (default 20)
  --fanout-topologies L  single,cluster (default both): one server process, and 2 processes on one
                         Redis (our hubs; Hocuspocus with its Redis extension); needs redis-server
  --no-peers             fan-out against our hub only
  --workers N            load-generator threads (default: CPUs, 2..4)
  --hub-env K=V          extra environment for the hub child (repeatable), e.g. SQLITE_SYNCHRONOUS=NORMAL
  --profile              record a perf CPU profile of the server in each run's measured phase
  --quiet-wait S         before each run, wait up to S seconds (default 10) for other processes to
                         use less than --quiet-below % of a core (default 40); 0 disables
  --provision direct|http  create meetings and participants in the hub's storage (in-process, fast;
                         default) or through the HTTP API as an organizer would (as k6 does)
  --out DIR              results directory (default loadtest/results/<timestamp>)
  --quiet                no progress lines
`;

function parse(argv: string[]): BenchOptions | null {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      connections: { type: 'string' },
      'room-size': { type: 'string' },
      layouts: { type: 'string' },
      layout: { type: 'string' },
      duration: { type: 'string' },
      'connect-rate': { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'chat-rate': { type: 'string' },
      'annotation-share': { type: 'string' },
      'vote-window': { type: 'string' },
      'fanout-readers': { type: 'string' },
      'fanout-rate': { type: 'string' },
      'fanout-topologies': { type: 'string' },
      'no-peers': { type: 'boolean' },
      workers: { type: 'string' },
      'hub-env': { type: 'string', multiple: true },
      profile: { type: 'boolean' },
      'quiet-wait': { type: 'string' },
      'quiet-below': { type: 'string' },
      out: { type: 'string' },
      provision: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  const o = defaultOptions();
  const num = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, not "${v}"`);
    return n;
  };
  o.scenarios = parseScenarios(positionals[0] ?? 'all');
  o.connections = num(values.connections, 'connections') ?? o.connections;
  o.roomSize = num(values['room-size'], 'room-size') ?? o.roomSize;
  const layouts = values.layouts ?? values.layout;
  if (layouts) {
    const list = layouts.split(',').map((s) => s.trim());
    for (const l of list) if (!(LAYOUTS as readonly string[]).includes(l)) throw new Error(`unknown layout "${l}" (rooms, single)`);
    o.layouts = list as Layout[];
  }
  const duration = num(values.duration, 'duration');
  if (duration !== undefined) {
    o.holdSeconds = duration;
    o.chatSeconds = duration;
    o.fanoutSeconds = duration;
  }
  o.connectRate = num(values['connect-rate'], 'connect-rate') ?? o.connectRate;
  o.heartbeatMs = num(values['heartbeat-ms'], 'heartbeat-ms') ?? o.heartbeatMs;
  o.chatRate = num(values['chat-rate'], 'chat-rate') ?? o.chatRate;
  o.annotationShare = num(values['annotation-share'], 'annotation-share') ?? o.annotationShare;
  o.voteWindowMs = num(values['vote-window'], 'vote-window') ?? o.voteWindowMs;
  if (values['fanout-readers']) o.fanoutReaders = values['fanout-readers'].split(',').map((s) => num(s.trim(), 'fanout-readers') ?? 0).filter((n) => n > 0);
  o.fanoutRate = num(values['fanout-rate'], 'fanout-rate') ?? o.fanoutRate;
  if (values['fanout-topologies']) {
    const list = values['fanout-topologies'].split(',').map((s) => s.trim());
    for (const t of list) if (!(FANOUT_TOPOLOGIES as readonly string[]).includes(t)) throw new Error(`unknown fan-out topology "${t}" (${FANOUT_TOPOLOGIES.join(', ')})`);
    o.fanoutTopologies = list as FanoutTopology[];
  }
  if (values['no-peers']) o.peers = [];
  o.workers = Math.max(1, Math.floor(num(values.workers, 'workers') ?? o.workers));
  for (const kv of values['hub-env'] ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--hub-env takes KEY=VALUE, not "${kv}"`);
    o.hubEnv[kv.slice(0, i)] = kv.slice(i + 1);
  }
  o.profile = values.profile ?? false;
  o.quietWaitSeconds = num(values['quiet-wait'], 'quiet-wait') ?? o.quietWaitSeconds;
  o.quietBelowPct = num(values['quiet-below'], 'quiet-below') ?? o.quietBelowPct;
  if (values.out) o.outDir = path.resolve(values.out);
  if (values.provision !== undefined) {
    if (values.provision !== 'direct' && values.provision !== 'http') throw new Error('--provision takes direct or http');
    o.provision = values.provision;
  }
  o.quiet = values.quiet ?? false;
  if (o.connections < 2 || o.roomSize < 2) throw new Error('--connections and --room-size must be at least 2');
  return o;
}

let opts: BenchOptions | null;
try {
  opts = parse(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
  process.exit(2);
}
if (!opts) {
  process.stdout.write(HELP);
  process.exit(0);
}
const summary = await runBench(opts);
process.stdout.write(`\n${formatSummary(summary)}`);
process.stdout.write(`\nwritten: ${path.join(opts.outDir, 'summary.json')}\n         ${path.join(opts.outDir, 'report.html')}\n`);
process.exit(0);
