/**
 * SFU signalling handlers: a parsed request (shared/media/signalling.ts) from one
 * authenticated peer, in one room, becomes a typed reply or a readable refusal.
 *
 * The hub parses the frame with `sfuRequestSchema` at the socket boundary, calls
 * `handleSfuRequest`, and sends `reply.result` back under its request id; room events
 * (`room.onEvent`) go to the named peer's socket. A thrown error is a bug: the hub's
 * catch-all ends that session only.
 */
import type {
  MediaRole,
  SfuRequest,
  SfuRequestType,
  SfuResponseMap,
  SfuResult,
} from '../shared/media/signalling.ts';
import { assertNever } from './policy.ts';
import type { Room } from './Room.ts';

/** Who sends the request, as the hub authenticated it (JWT), and where. */
export interface SfuRequestContext {
  /** null when video is disabled on this hub (no worker) or the meeting has no media room. */
  room: Room | null;
  peerId: string;
  role: MediaRole;
}

/** The reply, tagged with the request type so the result is typed per request. */
export type SfuReply = { [K in SfuRequestType]: { type: K; result: SfuResult<SfuResponseMap[K]> } }[SfuRequestType];

const unavailable = { ok: false, error: { code: 'mediaUnavailable', message: 'video is disabled on this server' } } as const;

/** Handles one request; never throws for client mistakes (those are error values). */
export async function handleSfuRequest(ctx: SfuRequestContext, request: SfuRequest): Promise<SfuReply> {
  const { room, peerId } = ctx;
  if (room === null || room.closed) return { type: request.type, result: unavailable } as const satisfies SfuReply;
  switch (request.type) {
    case 'getRouterRtpCapabilities':
      return { type: request.type, result: await room.getRouterRtpCapabilities(peerId) };
    case 'createTransport':
      return { type: request.type, result: await room.createTransport(peerId, request.direction) };
    case 'connectTransport':
      return { type: request.type, result: await room.connectTransport(peerId, request.transportId, request.dtlsParameters) };
    case 'produce':
      return {
        type: request.type,
        result: await room.produce(peerId, {
          transportId: request.transportId,
          kind: request.kind,
          rtpParameters: request.rtpParameters,
          source: request.appData.source,
        }),
      };
    case 'consume':
      return { type: request.type, result: await room.consume(peerId, request.rtpCapabilities) };
    case 'pauseConsumer':
      return { type: request.type, result: await room.setConsumerPaused(peerId, request.consumerId, true) };
    case 'resumeConsumer':
      return { type: request.type, result: await room.setConsumerPaused(peerId, request.consumerId, false) };
    case 'setPreferredLayers':
      return { type: request.type, result: await room.setPreferredLayers(peerId, request.consumerId, request.layers) };
    case 'pauseProducer':
      return { type: request.type, result: await room.setProducerPaused(peerId, request.producerId, true) };
    case 'resumeProducer':
      return { type: request.type, result: await room.setProducerPaused(peerId, request.producerId, false) };
    case 'closeProducer':
      return { type: request.type, result: await room.closeProducer(peerId, request.producerId) };
    case 'mutePeer':
      return {
        type: request.type,
        result: await room.mutePeer({ peerId, role: ctx.role }, request.peerId, request.source),
      };
    case 'leave':
      return {
        type: request.type,
        result: room.leave(peerId)
          ? { ok: true, data: { left: true } }
          : { ok: false, error: { code: 'notJoined', message: 'not in this room' } },
      };
    default:
      return assertNever(request);
  }
}
