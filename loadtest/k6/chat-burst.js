/**
 * Chat and annotation burst: CHAT_RATE messages per second per room (ANNOTATION_SHARE of them
 * annotations on the meeting's document) for CHAT_SECONDS, posted by admitted participants; every
 * client receives every message. Measures acknowledgement and sender-to-receiver delivery latency
 * (markers in the text carry the send time; sender and receivers share the k6 host's clock).
 *
 *   k6 run -e HUB_URL=http://hub:8080 -e ORGANIZER_INVITE=... loadtest/k6/chat-burst.js
 */
import exec from 'k6/execution';
import { setInterval, clearInterval, setTimeout } from 'k6/timers';
import { Counter, Trend } from 'k6/metrics';
import { agora, cfg, sizes, participants, rampSeconds, metrics, provision, login, prepareRoom, participantOf, Connection, at, actionAt } from './lib.js';

const RATE = Number(__ENV.CHAT_RATE || agora.DEFAULTS.chatRate);
const SECONDS = Number(__ENV.CHAT_SECONDS || agora.DEFAULTS.chatSeconds);
const SHARE = Number(__ENV.ANNOTATION_SHARE || agora.DEFAULTS.annotationShare);
const CHARS = Number(__ENV.MESSAGE_CHARS || agora.DEFAULTS.messageChars);
const END = cfg.admitSeconds + rampSeconds + cfg.settleSeconds + SECONDS + 10;

const chatAck = new Trend('agora_chat_ack_ms', true);
const chatDelivery = new Trend('agora_chat_delivery_ms', true);
const annotationAck = new Trend('agora_annotation_ack_ms', true);
const annotationDelivery = new Trend('agora_annotation_delivery_ms', true);
const sent = new Counter('agora_messages_sent');

export const options = {
  setupTimeout: '600s',
  scenarios: {
    organizers: { executor: 'per-vu-iterations', exec: 'organizer', vus: sizes.length, iterations: 1, maxDuration: `${END + 60}s` },
    participants: { executor: 'per-vu-iterations', exec: 'participant', vus: participants.length, iterations: 1, startTime: `${cfg.admitSeconds}s`, maxDuration: `${END + 60}s` },
  },
  thresholds: {
    agora_errors: ['count==0'],
    // Guidelines, not the issue's targets: a message reaches everyone within a second.
    agora_chat_delivery_ms: ['p(99)<1000'],
    agora_annotation_delivery_ms: ['p(99)<1000'],
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
  const voters = sizes[p.room] - 1;
  const periodMs = (1000 * voters) / RATE;
  const burstAt = actionAt(data);
  let seq = 0;
  at(data.t0 + (cfg.admitSeconds + k / cfg.connectRate) * 1000, () => {
    const c = new Connection({
      token,
      userId: p.userId,
      session: p.session,
      events: {
        marker: (m, t) => {
          if (m.sender === k) return;
          if (m.kind === agora.MarkerKind.Chat) chatDelivery.add(t - m.sentAt);
          else if (m.kind === agora.MarkerKind.Annotation) annotationDelivery.add(t - m.sentAt);
        },
        result: (type, ok, ms, _value, error) => {
          if (!ok) {
            metrics.errors.add(1, { kind: 'command' });
            console.error(`${p.userId}: ${type} refused: ${error ? `${error.code} ${error.message}` : ''}`);
          } else if (type === 'chat.post') chatAck.add(ms);
          else if (type === 'annotation.add') annotationAck.add(ms);
        },
      },
    });
    c.open(() => metrics.joined.add(1));
    const hb = setInterval(() => c.session.heartbeat(), cfg.heartbeatMs);
    // Each participant posts at RATE / voters per second, starting at a random phase.
    at(burstAt + Math.random() * periodMs, () => {
      const tick = () => {
        seq += 1;
        const annotation = ((k * 7919 + seq) * 0.6180339887) % 1 < SHARE;
        const text = agora.markerText(annotation ? agora.MarkerKind.Annotation : agora.MarkerKind.Chat, p.room, k, seq, Date.now(), CHARS);
        if (annotation) c.session.command('annotation.add', { docId: agora.ANNOTATED_DOC, page: 1 + (seq % 20), x: 0.5, y: 0.5, text });
        else c.session.command('chat.post', { text });
        sent.add(1);
      };
      tick();
      const timer = setInterval(tick, periodMs);
      setTimeout(() => clearInterval(timer), SECONDS * 1000);
    });
    at(data.t0 + END * 1000, () => {
      clearInterval(hb);
      c.close();
    });
  });
}
