/**
 * Reconnect storm: every participant (with replicas of every document) drops its connection at
 * the same instant and reconnects at once, resending its state vectors; measures the time from the
 * drop to the full resync (welcome plus every document synced) of each client.
 *
 *   k6 run -e HUB_URL=http://hub:8080 -e ORGANIZER_INVITE=... loadtest/k6/reconnect-storm.js
 */
import exec from 'k6/execution';
import { setInterval, clearInterval } from 'k6/timers';
import { Counter, Trend } from 'k6/metrics';
import { agora, cfg, sizes, participants, rampSeconds, metrics, provision, login, prepareRoom, participantOf, Connection, at, actionAt } from './lib.js';

const TIMEOUT_SECONDS = Number(__ENV.RECONNECT_TIMEOUT_SECONDS || agora.DEFAULTS.reconnectTimeoutSeconds);
const END = cfg.admitSeconds + rampSeconds + cfg.settleSeconds + TIMEOUT_SECONDS + 5;

const resync = new Trend('agora_resync_ms', true);
const resynced = new Counter('agora_resynced');

export const options = {
  setupTimeout: '600s',
  scenarios: {
    organizers: { executor: 'per-vu-iterations', exec: 'organizer', vus: sizes.length, iterations: 1, maxDuration: `${END + 60}s` },
    participants: { executor: 'per-vu-iterations', exec: 'participant', vus: participants.length, iterations: 1, startTime: `${cfg.admitSeconds}s`, maxDuration: `${END + 60}s` },
  },
  thresholds: {
    // Every client fully resynced within 5 s of the drop.
    agora_resync_ms: [`max<${agora.TARGETS.resyncAllMs}`],
    agora_resynced: [`count>=${participants.length}`],
    agora_errors: ['count==0'],
  },
};

export function setup() {
  return provision();
}

export function organizer(data) {
  const room = exec.scenario.iterationInTest;
  prepareRoom(data, room, (main) => {
    const hb = setInterval(() => main.session.heartbeat(), cfg.heartbeatMs);
    at(data.t0 + END * 1000, () => {
      clearInterval(hb);
      main.close();
    });
  });
}

export function participant(data) {
  const k = exec.scenario.iterationInTest;
  const p = participantOf(data, k);
  const token = login(p.invite);
  at(data.t0 + (cfg.admitSeconds + k / cfg.connectRate) * 1000, () => {
    const c = new Connection({ token, userId: p.userId, session: p.session, replicas: agora.MEETING_DOCS });
    const start = Date.now();
    c.open((t) => {
      metrics.joined.add(1);
      metrics.join.add(t - start);
    });
    const hb = setInterval(() => c.session.heartbeat(), cfg.heartbeatMs);
    at(actionAt(data), () => {
      const dropAt = Date.now();
      c.reconnect((t) => {
        resynced.add(1);
        resync.add(t - dropAt);
      });
    });
    at(data.t0 + END * 1000, () => {
      clearInterval(hb);
      c.close();
    });
  });
}
