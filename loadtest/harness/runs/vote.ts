/**
 * Vote storm: in every room the organizer puts a closed yes/no question to the vote; every voter
 * sees it open in its agenda replica and casts within `voteWindowMs`; when every ballot is
 * acknowledged the organizer closes the vote. Measures the ballot acknowledgement (durable in the
 * ledger before the answer), the time until each client sees the vote open, and the time from
 * vote.close until each client (the organizer included) holds the final tally in its replica.
 */
import { TARGETS, stormQuestion } from '../../scenarios/definitions.ts';
import { isFinalTally } from '../../scenarios/votes.ts';
import { nowMs, sleep } from '../clock.ts';
import { M } from '../Agent.ts';
import type { LoadClient } from '../LoadClient.ts';
import { RunEnv, type RunOutcome } from '../RunEnv.ts';
import { connectAll, countSynced, round } from './common.ts';

const TALLY = 'vote.tally-visible';
const OPEN_SEEN = 'vote.open-visible';
export const VOTE_KEYS = [M.ballotAck, TALLY];

/** Longest wait for the final tally at every client. */
const TALLY_TIMEOUT_MS = 15_000;

export async function runVote(env: RunEnv): Promise<RunOutcome> {
  const o = env.opts;
  // Voters read the question from their agenda replica; the final tally is recognized in the raw
  // update (a replica of the tallies document would make the generator, not the hub, the bottleneck:
  // every ballot's flush updates the turnout). Sampled voters keep the tallies replica as a check.
  await env.connectOrganizers(['agenda', 'tallies']);
  const specs = env.clientsByWorker((_, member) => (o.replicaSample > 0 && member % o.replicaSample === 0 ? ['agenda', 'tallies'] : ['agenda']));
  const voters = specs.reduce((a, s) => a + s.length, 0);
  const total = voters + env.organizers.length;
  await env.pool.all('init', (w) => ({ server: 'hub', clients: specs[w] }));
  const joined = await connectAll(env, true);
  await env.pool.all('heartbeat', () => ({ intervalMs: o.heartbeatMs }));
  await sleep(1000);
  await env.pool.all('voteArm', () => ({ windowMs: o.voteWindowMs }));

  // Questions are created as drafts first, so voters only react to the opening.
  const questions = await Promise.all(
    env.organizers.map(async (org, i) => {
      const room = env.rooms[i]!;
      const r = await org.command('question.create', stormQuestion(room.itemId));
      if (!r.ok) throw new Error(`question.create refused in room ${room.room}: ${r.error.code} ${r.error.message}`);
      return (r.value as { questionId: string }).questionId;
    }),
  );
  const closeAt = new Map<number, number>();
  const organizerTally = watchOrganizerTallies(env.organizers, questions, closeAt, env);

  env.progress.setPhase('storm');
  await env.startProfile();
  const c0 = env.server.read();
  const openAt = new Map<number, number>();
  await Promise.all(
    env.organizers.map(async (org, i) => {
      const room = env.rooms[i]!.room;
      openAt.set(room, nowMs());
      const r = await org.command('vote.open', { questionId: questions[i] });
      if (r.ok) env.metrics.observe('vote.open-ack', r.ms);
      else env.metrics.error('command', `vote.open in room ${room}: ${r.error.code} ${r.error.message}`);
    }),
  );
  const t0 = nowMs();
  const cast = await env.pool.all<{ voters: number; armed: number; firstCastAt: number; lastAckAt: number }>('voteCast', () => ({ timeoutMs: o.voteWindowMs + 15_000 }));
  const castMs = Math.max(...cast.map((c) => c.lastAckAt)) - Math.min(...cast.map((c) => c.firstCastAt));
  const armed = cast.reduce((a, c) => a + c.armed, 0);
  const live = cast.reduce((a, c) => a + c.voters, 0);
  if (armed < live) env.metrics.error('vote-unseen', `${live - armed} of ${live} connected voters never saw the vote open`);

  env.progress.setPhase('closing');
  const outcomes: string[] = [];
  await Promise.all(
    env.organizers.map(async (org, i) => {
      const room = env.rooms[i]!.room;
      closeAt.set(room, nowMs());
      const r = await org.command('vote.close', { questionId: questions[i] });
      if (r.ok) {
        env.metrics.observe('vote.close-ack', r.ms);
        outcomes.push((r.value as { outcome: string }).outcome);
      } else env.metrics.error('command', `vote.close in room ${room}: ${r.error.code} ${r.error.message}`);
    }),
  );
  const seen = await env.pool.all<number>('waitTallies', () => ({ timeoutMs: TALLY_TIMEOUT_MS }));
  await organizerTally(TALLY_TIMEOUT_MS);
  const c1 = env.server.read();
  await env.stopProfile();
  const results = await env.pool.all<{ seenOpenAt: [number, number][]; tallySeenAt: [number, number][]; clients: number }>('voteResults');
  for (const r of results) {
    for (const [room, t] of r.seenOpenAt) env.metrics.observe(OPEN_SEEN, t - (openAt.get(room) ?? t));
    for (const [room, t] of r.tallySeenAt) env.metrics.observe(TALLY, t - (closeAt.get(room) ?? t));
  }
  const tallies = seen.reduce((a, n) => a + n, 0);
  if (tallies < live) env.metrics.error('tally-unseen', `${live - tallies} of ${live} connected voters did not see the final tally within ${TALLY_TIMEOUT_MS} ms`);
  const synced = (await countSynced(env)) + env.organizers.filter((c) => c.isSynced).length;
  const joinedLive = joined.connected + env.organizers.length;
  if (synced < joinedLive) env.metrics.error('dropped', `${joinedLive - synced} of ${joinedLive} joined connections were lost during the storm`);

  const ballots = env.metrics.count('vote.ballots');
  const ack = env.metrics.hist.get(M.ballotAck)?.stats();
  const tally = env.metrics.hist.get(TALLY)?.stats();
  const values: Record<string, number> = {
    connections: total,
    voters,
    ballotsAccepted: ballots,
    ballotsPerSecond: round(ballots / (castMs / 1000)),
    firstBallotToLastAckMs: round(castMs),
    tallySeen: tallies,
    stormCpuPct: round(((c1.cpuMs - c0.cpuMs) / (nowMs() - t0)) * 100),
  };
  const checks: RunOutcome['checks'] = [
    { name: 'every connected voter\'s ballot accepted', target: `= ${live}`, value: ballots, unit: 'ballots', pass: ballots === live },
    { name: 'ballot acknowledgement p99', target: `< ${TARGETS.ballotAckP99Ms} ms`, value: ack?.p99 ?? NaN, unit: 'ms', pass: (ack?.p99 ?? Infinity) < TARGETS.ballotAckP99Ms },
    { name: 'final tally visible p99 (from vote.close)', target: `< ${TARGETS.tallyVisibleP99Ms} ms`, value: tally?.p99 ?? NaN, unit: 'ms', pass: (tally?.p99 ?? Infinity) < TARGETS.tallyVisibleP99Ms },
  ];
  const notes = [`Outcomes: ${[...new Set(outcomes)].join(', ') || 'none'}. Tally visibility is measured from sending vote.close to the closed, visible tally being applied in each client's replica of the tallies document.`];
  return { values, checks, notes, connections: total };
}

/** Records when each organizer's replica holds its room's final tally; returns a waiter. */
function watchOrganizerTallies(organizers: LoadClient[], questions: string[], closeAt: Map<number, number>, env: RunEnv): (timeoutMs: number) => Promise<void> {
  const seen = new Set<number>();
  organizers.forEach((org, i) => {
    const prev = org.hooks;
    org.hooks = {
      ...prev,
      replicaChanged: (c, doc, at) => {
        if (doc !== 'tallies' || seen.has(i)) return;
        const closed = closeAt.get(c.spec.room);
        if (isFinalTally(c.docs.get('tallies')?.getMap<unknown>('tallies').get(questions[i]!)) && closed !== undefined) {
          seen.add(i);
          env.metrics.observe(TALLY, at - closed);
        }
      },
    };
  });
  return async (timeoutMs) => {
    const deadline = nowMs() + timeoutMs;
    while (seen.size < organizers.length && nowMs() < deadline) await sleep(10);
    if (seen.size < organizers.length) env.metrics.error('tally-unseen', `${organizers.length - seen.size} organizers did not see the final tally`);
  };
}
