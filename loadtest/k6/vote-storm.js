/**
 * Vote storm: in every room the organizer opens a closed yes/no vote; every voter sees it open in
 * its agenda replica and casts within VOTE_WINDOW_MS; the organizer closes the vote
 * CLOSE_MARGIN_MS later. Ballot acknowledgement (durable in the ledger before the answer) and the
 * time from vote.close to the final tally at every client are the measured targets.
 *
 *   k6 run -e HUB_URL=http://hub:8080 -e ORGANIZER_INVITE=... loadtest/k6/vote-storm.js
 */
import exec from 'k6/execution';
import { setInterval, clearInterval, setTimeout } from 'k6/timers';
import { Counter, Trend } from 'k6/metrics';
import { agora, cfg, sizes, participants, rampSeconds, metrics, provision, login, prepareRoom, participantOf, Connection, at, actionAt } from './lib.js';

const WINDOW_MS = Number(__ENV.VOTE_WINDOW_MS || agora.DEFAULTS.voteWindowMs);
const CLOSE_MARGIN_MS = Number(__ENV.CLOSE_MARGIN_MS || 5000);
const END = cfg.admitSeconds + rampSeconds + cfg.settleSeconds + (WINDOW_MS + CLOSE_MARGIN_MS) / 1000 + 15;

const ballotAck = new Trend('agora_ballot_ack_ms', true);
const tallyVisible = new Trend('agora_tally_visible_ms', true);
const openVisible = new Trend('agora_open_visible_ms', true);
const ballots = new Counter('agora_ballots');
const tallies = new Counter('agora_tallies_seen');

export const options = {
  setupTimeout: '600s',
  scenarios: {
    organizers: { executor: 'per-vu-iterations', exec: 'organizer', vus: sizes.length, iterations: 1, maxDuration: `${Math.ceil(END) + 60}s` },
    voters: { executor: 'per-vu-iterations', exec: 'voter', vus: participants.length, iterations: 1, startTime: `${cfg.admitSeconds}s`, maxDuration: `${Math.ceil(END) + 60}s` },
  },
  thresholds: {
    agora_ballot_ack_ms: [`p(99)<${agora.TARGETS.ballotAckP99Ms}`],
    agora_tally_visible_ms: [`p(99)<${agora.TARGETS.tallyVisibleP99Ms}`],
    agora_ballots: [`count>=${participants.length}`],
    agora_tallies_seen: [`count>=${participants.length + sizes.length}`],
    agora_errors: ['count==0'],
  },
};

export function setup() {
  return provision();
}

export function organizer(data) {
  const room = exec.scenario.iterationInTest;
  const openAt = actionAt(data);
  const closeAt = openAt + WINDOW_MS + CLOSE_MARGIN_MS;
  let questionId = null;
  let seen = false;
  prepareRoom(
    data,
    room,
    (main, itemId) => {
      const hb = setInterval(() => main.session.heartbeat(), cfg.heartbeatMs);
      main.session.events.result = (type, ok, _ms, value, error) => {
        if (!ok) {
          metrics.errors.add(1, { kind: 'command' });
          console.error(`organizer ${type} refused: ${error ? `${error.code} ${error.message}` : ''}`);
        } else if (type === 'question.create') questionId = value.questionId;
      };
      main.session.events.replicaChanged = (doc, t) => {
        if (doc !== 'tallies' || seen || !questionId) return;
        const rec = main.session.docs.get('tallies').getMap('tallies').get(questionId);
        if (agora.isFinalTally(rec)) {
          seen = true;
          tallies.add(1);
          tallyVisible.add(t - closeAt);
        }
      };
      main.session.command('question.create', agora.stormQuestion(itemId));
      at(openAt, () => questionId && main.session.command('vote.open', { questionId }));
      at(closeAt, () => questionId && main.session.command('vote.close', { questionId }));
      at(data.t0 + END * 1000, () => {
        clearInterval(hb);
        main.close();
      });
    },
    ['tallies'],
  );
}

export function voter(data) {
  const k = exec.scenario.iterationInTest;
  const p = participantOf(data, k);
  const openAt = actionAt(data);
  const closeAt = openAt + WINDOW_MS + CLOSE_MARGIN_MS;
  const token = login(p.invite);
  let question = null;
  let tallySeen = false;
  at(data.t0 + (cfg.admitSeconds + k / cfg.connectRate) * 1000, () => {
    const c = new Connection({
      token,
      userId: p.userId,
      session: p.session,
      replicas: ['agenda'],
      events: {
        replicaChanged: (doc, t) => {
          if (doc !== 'agenda' || question) return;
          question = agora.openQuestion(c.session.mapValues('agenda', 'questions'));
          if (!question) return;
          openVisible.add(t - openAt);
          setTimeout(() => c.session.command('vote.cast', { questionId: question.id, version: question.version, choice: agora.stormChoice(p.member) }), Math.random() * WINDOW_MS);
        },
        // The final tally is recognized in the raw update of the tallies document (no replica needed).
        update: (doc, update, t) => {
          if (doc !== 'tallies' || tallySeen || !question || !agora.updateHasFinalTally(update, question.id)) return;
          tallySeen = true;
          tallies.add(1);
          tallyVisible.add(t - closeAt);
        },
        result: (type, ok, ms, _value, error) => {
          if (type !== 'vote.cast') return;
          if (ok) {
            ballots.add(1);
            ballotAck.add(ms);
          } else {
            metrics.errors.add(1, { kind: 'ballot' });
            console.error(`${p.userId}: ballot refused: ${error ? `${error.code} ${error.message}` : ''}`);
          }
        },
      },
    });
    const start = Date.now();
    c.open((t) => {
      metrics.joined.add(1);
      metrics.join.add(t - start);
    });
    const hb = setInterval(() => c.session.heartbeat(), cfg.heartbeatMs);
    at(data.t0 + END * 1000, () => {
      clearInterval(hb);
      c.close();
    });
  });
}
