/**
 * Fill: every participant logs in with its invitation, connects, authenticates, syncs every
 * document and stays, publishing presence on the awareness heartbeat, until the hold ends.
 *
 *   k6 run -e HUB_URL=http://hub:8080 -e ORGANIZER_INVITE=... loadtest/k6/fill.js
 *   (-e LAYOUT=single for one room of CONNECTIONS; -e CONNECTIONS=1000 -e ROOM_SIZE=150 -e HOLD_SECONDS=60)
 */
import exec from 'k6/execution';
import { setInterval, clearInterval } from 'k6/timers';
import { Counter } from 'k6/metrics';
import { agora, cfg, sizes, participants, rampSeconds, metrics, provision, login, prepareRoom, participantOf, Connection, at } from './lib.js';

const HOLD_SECONDS = Number(__ENV.HOLD_SECONDS || agora.DEFAULTS.holdSeconds);
const END = cfg.admitSeconds + rampSeconds + cfg.settleSeconds + HOLD_SECONDS;
const held = new Counter('agora_held');

export const options = {
  setupTimeout: '600s',
  scenarios: {
    organizers: { executor: 'per-vu-iterations', exec: 'organizer', vus: sizes.length, iterations: 1, maxDuration: `${END + 60}s` },
    participants: { executor: 'per-vu-iterations', exec: 'participant', vus: participants.length, iterations: 1, startTime: `${cfg.admitSeconds}s`, maxDuration: `${END + 60}s` },
  },
  thresholds: {
    // Every connection held with no errors.
    agora_errors: ['count==0'],
    agora_joined: [`count>=${participants.length}`],
    agora_held: [`count>=${participants.length}`],
    // A guideline, not one of the targets: a participant is in the meeting within 5 s.
    agora_join_ms: ['p(99)<5000'],
  },
};

export function setup() {
  return provision();
}

export function organizer(data) {
  const room = exec.scenario.iterationInTest;
  const main = prepareRoom(data, room, () => {});
  const hb = setInterval(() => main.session.heartbeat(), cfg.heartbeatMs);
  at(data.t0 + END * 1000, () => {
    clearInterval(hb);
    main.close();
  });
}

export function participant(data) {
  const k = exec.scenario.iterationInTest;
  const p = participantOf(data, k);
  const token = login(p.invite);
  at(data.t0 + (cfg.admitSeconds + k / cfg.connectRate) * 1000, () => {
    const c = new Connection({ token, userId: p.userId, session: p.session });
    const start = Date.now();
    c.open((t) => {
      metrics.joined.add(1);
      metrics.join.add(t - start);
    });
    const hb = setInterval(() => c.session.heartbeat(), cfg.heartbeatMs);
    at(data.t0 + END * 1000, () => {
      clearInterval(hb);
      if (c.session.isSynced) held.add(1);
      c.close();
    });
  });
}
