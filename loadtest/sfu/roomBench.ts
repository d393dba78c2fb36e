/**
 * How many people can one 150-person room hold on one mediasoup worker, under the media policy?
 * Fills a router step by step with receive-only peers (PlainTransports on loopback) while a few
 * publishers send synthetic RTP: the floor holders' audio (Opus-sized, 50 packets/s) and the
 * last-N cameras (VP8-sized keyframe packets). Each receiver consumes what policy would give it:
 * every floor holder's audio and the last-N videos. Reports consumers, worker CPU, packets per
 * second out and packet loss at each step, so ops know how many rooms a machine carries.
 *
 *   npm run bench:sfu -- [--steps 10,25,50,100,150] [--seconds 5] [--speakers 3] [--videos 4]
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadMediasoupIfAvailable, workerBinaryOptionsFromEnv } from '../../sfu/workerBinary.ts';
import { DEFAULT_MEDIA_CODECS } from '../../sfu/Room.ts';
import { REPO_ROOT } from '../../server/config.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '10,25,50,100,150' },
    seconds: { type: 'string', default: '5' },
    speakers: { type: 'string', default: '3' },
    videos: { type: 'string', default: '4' },
    'audio-pps': { type: 'string', default: '50' },
    'video-pps': { type: 'string', default: '60' },
    'thumb-pps': { type: 'string', default: '15' },
  },
});
const steps = values.steps.split(',').map(Number);
const seconds = Number(values.seconds);
const AUDIO = { pt: 100, bytes: 160, pps: Number(values['audio-pps']) };
const VIDEO = { pt: 101, bytes: 1000, pps: Number(values['video-pps']) };
/** Thumbnails travel on the lowest simulcast layer: smaller and fewer packets than the stage. */
const THUMB = { pt: 101, bytes: 500, pps: Number(values['thumb-pps']) };

const loaded = await loadMediasoupIfAvailable(workerBinaryOptionsFromEnv(process.env));
if (!loaded.ok) {
  console.error(`cannot run: ${loaded.reason}`);
  process.exit(2);
}
const ms = loaded.mediasoup;
const worker = await ms.createWorker({ logLevel: 'error', rtcMinPort: 20000, rtcMaxPort: 29999 });
const router = await worker.createRouter({ mediaCodecs: DEFAULT_MEDIA_CODECS });

/** A publisher: a PlainTransport fed with RTP from a local UDP socket. */
async function publisher(kind: 'audio' | 'video', ssrc: number, thumbnail = false) {
  const transport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
  const spec = kind === 'audio' ? AUDIO : thumbnail ? THUMB : VIDEO;
  const producer = await transport.produce({
    kind,
    rtpParameters:
      kind === 'audio'
        ? { codecs: [{ mimeType: 'audio/opus', payloadType: spec.pt, clockRate: 48000, channels: 2 }], encodings: [{ ssrc }] }
        : { codecs: [{ mimeType: 'video/VP8', payloadType: spec.pt, clockRate: 90000 }], encodings: [{ ssrc }] },
  });
  const socket = dgram.createSocket('udp4');
  let seq = 0;
  let sent = 0;
  const packet = Buffer.alloc(12 + spec.bytes);
  packet[0] = 0x80;
  packet[1] = spec.pt;
  packet.writeUInt32BE(ssrc, 8);
  if (kind === 'video') {
    packet[12] = 0x90; // VP8 payload descriptor: X (extensions follow), S (start of partition 0)
    packet[13] = 0x80; // I: a picture id follows (mediasoup needs it to parse VP8)
    packet[16] = 0x00; // VP8 payload header: P = 0, a key frame
  }
  const timer = setInterval(() => {
    seq = (seq + 1) & 0xffff;
    packet.writeUInt16BE(seq, 2);
    packet.writeUInt32BE((seq * (kind === 'audio' ? 960 : 1500)) >>> 0, 4);
    if (kind === 'video') packet.writeUInt16BE(0x8000 | (seq & 0x7fff), 14); // M = 1: a 15-bit picture id
    socket.send(packet, transport.tuple.localPort, '127.0.0.1');
    sent += 1;
  }, 1000 / spec.pps);
  return { producer, transport, socket, timer, sent: () => sent };
}

/** A receive-only peer: a PlainTransport that sends what it consumes to a local UDP socket that counts packets. */
async function receiver(producers: { producer: { id: string } }[]) {
  const socket = dgram.createSocket('udp4');
  let received = 0;
  socket.on('message', (m: Buffer) => {
    const pt = (m[1] ?? 0) & 0x7f;
    if (pt < 72 || pt > 76) received += 1; // RTP only; RTCP sender reports (200-204) are not media
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const transport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false });
  await transport.connect({ ip: '127.0.0.1', port: socket.address().port });
  for (const p of producers) {
    const consumer = await transport.consume({ producerId: p.producer.id, rtpCapabilities: router.rtpCapabilities, paused: false });
    if (consumer.kind === 'video') await consumer.requestKeyFrame().catch(() => {});
  }
  return { transport, socket, received: () => received };
}

const pubs = [
  ...Array.from({ length: Number(values.speakers) }, (_, i) => publisher('audio', 1000 + i)),
  ...Array.from({ length: Number(values.videos) }, (_, i) => publisher('video', 2000 + i, i > 0)),
];
const publishers = await Promise.all(pubs);
const receivers: Awaited<ReturnType<typeof receiver>>[] = [];
const rows: { peers: number; consumers: number; workerCpuPercent: number; packetsOutPerSecond: number; expectedPerSecond: number; lossPercent: number }[] = [];
const cpu = async () => {
  const u = await worker.getResourceUsage();
  return (u.ru_utime + u.ru_stime) / 1000; // seconds
};

console.log(`mediasoup ${ms.version}, 1 worker, ${publishers.length} publishers: ${values.speakers} audio at ${AUDIO.pps} pps; 1 stage video at ${VIDEO.pps} pps and ${Number(values.videos) - 1} thumbnails at ${THUMB.pps} pps`);
console.log('peers  consumers  worker CPU  packets out/s  expected/s  loss');
let saturated = '';
for (const target of steps) {
  try {
    while (receivers.length < target) receivers.push(await receiver(publishers));
  } catch (err) {
    saturated = `the worker stopped answering while adding peer ${receivers.length + 1} (${err instanceof Error ? err.message : String(err)}): saturated`;
    console.log(saturated);
    break;
  }
  await new Promise((r) => setTimeout(r, 1000)); // let consumers start (key frames)
  const r0 = receivers.map((r) => r.received());
  const c0 = await cpu();
  const t0 = performance.now();
  const s0 = publishers.map((p) => p.sent());
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = (performance.now() - t0) / 1000;
  const c1 = await cpu();
  const got = receivers.reduce((sum, r, i) => sum + r.received() - r0[i]!, 0);
  const sentPerPublisher = publishers.map((p, i) => p.sent() - s0[i]!);
  const expected = sentPerPublisher.reduce((a, b) => a + b, 0) * receivers.length;
  const row = {
    peers: receivers.length,
    consumers: receivers.length * publishers.length,
    workerCpuPercent: Math.round(((c1 - c0) / wall) * 1000) / 10,
    packetsOutPerSecond: Math.round(got / wall),
    expectedPerSecond: Math.round(expected / wall),
    // Counting windows of sender and receivers are a few milliseconds apart: a small negative value means none lost.
    lossPercent: expected === 0 ? 0 : Math.max(0, Math.round((1 - got / expected) * 1000) / 10),
  };
  rows.push(row);
  console.log(
    `${String(row.peers).padStart(5)}  ${String(row.consumers).padStart(9)}  ${`${row.workerCpuPercent}%`.padStart(10)}  ${String(row.packetsOutPerSecond).padStart(13)}  ${String(row.expectedPerSecond).padStart(10)}  ${row.lossPercent}%`,
  );
}

const last = rows.at(-1)!;
if (saturated) console.log(`\n${saturated}`);
const roomsPerWorker = last.workerCpuPercent > 0 ? Math.floor(80 / last.workerCpuPercent) : 0;
console.log(`\nAt ${last.peers} peers one worker used ${last.workerCpuPercent}% of a core: about ${roomsPerWorker} such room(s) per worker at 80% CPU, one worker per core.`);
const out = path.join(REPO_ROOT, 'loadtest', 'results');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'sfu-room.json'), JSON.stringify({ at: new Date().toISOString(), mediasoup: ms.version, publishers: { audio: Number(values.speakers), video: Number(values.videos), audioPps: AUDIO.pps, stagePps: VIDEO.pps, thumbnailPps: THUMB.pps }, steps: rows, saturated: saturated || null, roomsPerWorkerAt80: roomsPerWorker }, null, 2));

for (const p of publishers) {
  clearInterval(p.timer);
  p.socket.close();
}
for (const r of receivers) r.socket.close();
worker.close();
