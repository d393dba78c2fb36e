/**
 * SFU signalling: typed request/response pairs and server events for the media plane.
 *
 * They ride the hub's WebSocket inside its own envelopes (request id, errors); this
 * module only fixes the media payloads. Every client payload is parsed once with
 * `sfuRequestSchema` at the socket boundary; RTP and DTLS parameters are then checked
 * again by mediasoup itself (ORTC validation), so the schemas here bound sizes and
 * shapes rather than re-implementing ORTC.
 *
 * Isomorphic: no Node APIs, imports nothing of ours.
 */
import { z } from 'zod';

/** Bumped whenever a message below changes incompatibly; the hub refuses other versions. */
export const SFU_SIGNALLING_VERSION = 1;

/** Size bounds for untrusted media descriptions (a real browser stays far below them). */
export const SFU_LIMITS = {
  maxIdLength: 64,
  maxStringLength: 256,
  maxCodecs: 64,
  maxHeaderExtensions: 32,
  maxEncodings: 8,
  maxRtcpFeedback: 16,
  maxCodecParameters: 32,
  maxFingerprints: 8,
  maxConsumeProducerIds: 32,
} as const;

const id = z.string().min(1).max(SFU_LIMITS.maxIdLength);
const shortString = z.string().max(SFU_LIMITS.maxStringLength);

/** Where a producer's track comes from; decides policy (floor, stage, one screen share). */
export const mediaSourceSchema = z.enum(['mic', 'cam', 'screen']);
export type MediaSource = z.infer<typeof mediaSourceSchema>;

export const mediaKindSchema = z.enum(['audio', 'video']);
export type MediaKind = z.infer<typeof mediaKindSchema>;

/** Media roles as the SFU sees them; the hub maps its meeting roles onto these. */
export const mediaRoleSchema = z.enum(['organizer', 'participant']);
export type MediaRole = z.infer<typeof mediaRoleSchema>;

/** How a consumer is shown: it decides the simulcast layer the SFU forwards. */
export const consumerViewSchema = z.enum(['audio', 'thumbnail', 'stage', 'screen']);
export type ConsumerView = z.infer<typeof consumerViewSchema>;

const codecParameters = z
  .record(shortString, z.union([shortString, z.number(), z.boolean()]))
  .refine((r) => Object.keys(r).length <= SFU_LIMITS.maxCodecParameters, 'too many codec parameters');

const rtcpFeedbackSchema = z.object({ type: shortString, parameter: shortString.optional() });

const rtpCodecCapabilitySchema = z.object({
  kind: mediaKindSchema,
  mimeType: shortString,
  preferredPayloadType: z.number().int().min(0).max(127).optional(),
  clockRate: z.number().int().positive(),
  channels: z.number().int().positive().max(8).optional(),
  parameters: codecParameters.optional(),
  rtcpFeedback: z.array(rtcpFeedbackSchema).max(SFU_LIMITS.maxRtcpFeedback).optional(),
});

const rtpHeaderExtensionSchema = z.object({
  kind: mediaKindSchema,
  uri: shortString,
  preferredId: z.number().int().min(1).max(255),
  preferredEncrypt: z.boolean().optional(),
  direction: z.enum(['sendrecv', 'sendonly', 'recvonly', 'inactive']).optional(),
});

/** The receiving device's capabilities (mediasoup-client `device.rtpCapabilities`). */
export const rtpCapabilitiesSchema = z.object({
  codecs: z.array(rtpCodecCapabilitySchema).max(SFU_LIMITS.maxCodecs).optional(),
  headerExtensions: z.array(rtpHeaderExtensionSchema).max(SFU_LIMITS.maxHeaderExtensions).optional(),
});
export type RtpCapabilities = z.infer<typeof rtpCapabilitiesSchema>;

const rtpCodecParametersSchema = z.object({
  mimeType: shortString,
  payloadType: z.number().int().min(0).max(127),
  clockRate: z.number().int().positive(),
  channels: z.number().int().positive().max(8).optional(),
  parameters: codecParameters.optional(),
  rtcpFeedback: z.array(rtcpFeedbackSchema).max(SFU_LIMITS.maxRtcpFeedback).optional(),
});

const rtpEncodingSchema = z.object({
  ssrc: z.number().int().min(0).max(0xffffffff).optional(),
  rid: shortString.optional(),
  codecPayloadType: z.number().int().min(0).max(127).optional(),
  rtx: z.object({ ssrc: z.number().int().min(0).max(0xffffffff) }).optional(),
  dtx: z.boolean().optional(),
  scalabilityMode: shortString.optional(),
  scaleResolutionDownBy: z.number().positive().optional(),
  maxBitrate: z.number().int().positive().optional(),
});

/** A producer's or consumer's RTP parameters (mediasoup `RtpParameters`). */
export const rtpParametersSchema = z.object({
  mid: shortString.optional(),
  codecs: z.array(rtpCodecParametersSchema).min(1).max(SFU_LIMITS.maxCodecs),
  headerExtensions: z
    .array(
      z.object({
        uri: shortString,
        id: z.number().int().min(1).max(255),
        encrypt: z.boolean().optional(),
        parameters: codecParameters.optional(),
      }),
    )
    .max(SFU_LIMITS.maxHeaderExtensions)
    .optional(),
  encodings: z.array(rtpEncodingSchema).max(SFU_LIMITS.maxEncodings).optional(),
  rtcp: z
    .object({ cname: shortString.optional(), reducedSize: z.boolean().optional(), mux: z.boolean().optional() })
    .optional(),
});
export type RtpParameters = z.infer<typeof rtpParametersSchema>;

/** The client's DTLS parameters for `connectTransport`. */
export const dtlsParametersSchema = z.object({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z
    .array(z.object({ algorithm: shortString, value: shortString }))
    .min(1)
    .max(SFU_LIMITS.maxFingerprints),
});
export type DtlsParameters = z.infer<typeof dtlsParametersSchema>;

const layersSchema = z.object({
  spatialLayer: z.number().int().min(0).max(7),
  temporalLayer: z.number().int().min(0).max(7).optional(),
});
export type PreferredLayers = z.infer<typeof layersSchema>;

// ---------------------------------------------------------------------------
// Client -> server requests
// ---------------------------------------------------------------------------

/** Every SFU request a client may send, one discriminated union on `type`. */
export const sfuRequestSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('getRouterRtpCapabilities') }),
  z.strictObject({ type: z.literal('createTransport'), direction: z.enum(['send', 'recv']) }),
  z.strictObject({ type: z.literal('connectTransport'), transportId: id, dtlsParameters: dtlsParametersSchema }),
  z.strictObject({
    type: z.literal('produce'),
    transportId: id,
    kind: mediaKindSchema,
    rtpParameters: rtpParametersSchema,
    appData: z.strictObject({ source: mediaSourceSchema }),
  }),
  /** Ready to receive: stores the device's capabilities and creates the consumers policy allows. */
  z.strictObject({ type: z.literal('consume'), rtpCapabilities: rtpCapabilitiesSchema }),
  z.strictObject({ type: z.literal('pauseConsumer'), consumerId: id }),
  z.strictObject({ type: z.literal('resumeConsumer'), consumerId: id }),
  z.strictObject({ type: z.literal('setPreferredLayers'), consumerId: id, layers: layersSchema }),
  z.strictObject({ type: z.literal('pauseProducer'), producerId: id }),
  z.strictObject({ type: z.literal('resumeProducer'), producerId: id }),
  z.strictObject({ type: z.literal('closeProducer'), producerId: id }),
  /** Organizer only: silence someone server-side (mic paused, cam/screen closed). */
  z.strictObject({ type: z.literal('mutePeer'), peerId: id, source: mediaSourceSchema }),
  z.strictObject({ type: z.literal('leave') }),
]);
export type SfuRequest = z.infer<typeof sfuRequestSchema>;
export type SfuRequestType = SfuRequest['type'];
/** The request of one type. */
export type SfuRequestOf<T extends SfuRequestType> = Extract<SfuRequest, { type: T }>;

// ---------------------------------------------------------------------------
// Server -> client responses
// ---------------------------------------------------------------------------

const iceParametersSchema = z.object({ usernameFragment: z.string(), password: z.string(), iceLite: z.boolean().optional() });
const iceCandidateSchema = z.object({
  foundation: z.string(),
  priority: z.number(),
  ip: z.string(),
  protocol: z.enum(['udp', 'tcp']),
  port: z.number(),
  type: z.literal('host'),
  tcpType: z.literal('passive').optional(),
});

/** What a client needs to build its side of a WebRtcTransport. */
export const transportInfoSchema = z.object({
  transportId: z.string(),
  direction: z.enum(['send', 'recv']),
  iceParameters: iceParametersSchema,
  iceCandidates: z.array(iceCandidateSchema),
  dtlsParameters: dtlsParametersSchema,
});
export type TransportInfo = z.infer<typeof transportInfoSchema>;

/** What a client needs to build a consumer (mediasoup-client `recvTransport.consume`). */
export const consumerInfoSchema = z.object({
  consumerId: z.string(),
  producerId: z.string(),
  /** Whose media this is. */
  peerId: z.string(),
  kind: mediaKindSchema,
  source: mediaSourceSchema,
  view: consumerViewSchema,
  rtpParameters: rtpParametersSchema,
  /** Consumers start paused; the client sends `resumeConsumer` once it shows (or plays) them. */
  paused: z.boolean(),
  producerPaused: z.boolean(),
});
export type ConsumerInfo = z.infer<typeof consumerInfoSchema>;

/** The reply payload for each request type. */
export interface SfuResponseMap {
  getRouterRtpCapabilities: { rtpCapabilities: RtpCapabilities };
  createTransport: TransportInfo;
  connectTransport: { connected: true };
  produce: { producerId: string };
  consume: { consumers: ConsumerInfo[] };
  pauseConsumer: { paused: boolean };
  resumeConsumer: { paused: boolean };
  setPreferredLayers: { layers: PreferredLayers };
  pauseProducer: { paused: boolean };
  resumeProducer: { paused: boolean };
  closeProducer: { closed: true };
  mutePeer: { producerIds: string[] };
  leave: { left: true };
}
export type SfuResponse<T extends SfuRequestType> = SfuResponseMap[T];

/** Runtime schemas of the replies, for clients that validate what the hub sends. */
export const sfuResponseSchemas = {
  getRouterRtpCapabilities: z.object({ rtpCapabilities: rtpCapabilitiesSchema }),
  createTransport: transportInfoSchema,
  connectTransport: z.object({ connected: z.literal(true) }),
  produce: z.object({ producerId: z.string() }),
  consume: z.object({ consumers: z.array(consumerInfoSchema) }),
  pauseConsumer: z.object({ paused: z.boolean() }),
  resumeConsumer: z.object({ paused: z.boolean() }),
  setPreferredLayers: z.object({ layers: layersSchema }),
  pauseProducer: z.object({ paused: z.boolean() }),
  resumeProducer: z.object({ paused: z.boolean() }),
  closeProducer: z.object({ closed: z.literal(true) }),
  mutePeer: z.object({ producerIds: z.array(z.string()) }),
  leave: z.object({ left: z.literal(true) }),
} satisfies { [K in SfuRequestType]: z.ZodType<SfuResponseMap[K]> };

/** Expected refusals, as values (never exceptions). */
export const sfuErrorCodeSchema = z.enum([
  /** Video is disabled on this hub (no mediasoup worker) or the room is closing. */
  'mediaUnavailable',
  'notJoined',
  /** Audio needs the floor; the chair grants it. */
  'noFloor',
  /** More floor holders than the room allows. */
  'tooManySpeakers',
  /** Someone else is sharing a screen. */
  'screenShareBusy',
  /** The organizer muted this source; only a new grant of the floor lifts it. */
  'mutedByOrganizer',
  'alreadyProducing',
  'forbidden',
  'transportNotFound',
  'producerNotFound',
  'consumerNotFound',
  'peerNotFound',
  'noRecvTransport',
  /** kind and source disagree (mic must be audio, cam and screen video). */
  'kindMismatch',
  /** mediasoup refused the parameters or capabilities (ORTC validation, unsupported codec). */
  'rejectedByMediaServer',
]);
export type SfuErrorCode = z.infer<typeof sfuErrorCodeSchema>;
export const sfuErrorSchema = z.object({ code: sfuErrorCodeSchema, message: z.string() });
export type SfuError = z.infer<typeof sfuErrorSchema>;

/** A handler's outcome: the typed reply or a readable refusal. */
export type SfuResult<T> = { ok: true; data: T } | { ok: false; error: SfuError };

// ---------------------------------------------------------------------------
// Server -> client events (pushed, no reply)
// ---------------------------------------------------------------------------

export const consumerPauseReasonSchema = z.enum(['notVisible', 'producerPaused', 'client']);

/** Every SFU event the server pushes, one discriminated union on `type`. */
export const sfuServerEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('newConsumer'), consumer: consumerInfoSchema }),
  z.object({ type: z.literal('consumerPaused'), consumerId: z.string(), reason: consumerPauseReasonSchema }),
  z.object({ type: z.literal('consumerResumed'), consumerId: z.string() }),
  z.object({
    type: z.literal('consumerClosed'),
    consumerId: z.string(),
    reason: z.enum(['producerClosed', 'notVisible', 'noFloor']),
  }),
  /** A change of view: the client moves the tile and the SFU forwards another layer. */
  z.object({ type: z.literal('consumerViewChanged'), consumerId: z.string(), view: consumerViewSchema }),
  /** The server closed one of this peer's producers. */
  z.object({
    type: z.literal('producerClosed'),
    producerId: z.string(),
    reason: z.enum(['floorRevoked', 'organizerMute', 'screenShareTaken']),
  }),
  /** The server paused one of this peer's producers (organizer mute). */
  z.object({ type: z.literal('producerPaused'), producerId: z.string(), reason: z.literal('organizerMute') }),
  /** Loudest first, at most `maxSpeakers`; volumes in dBov (-127..0). */
  z.object({
    type: z.literal('activeSpeakers'),
    speakers: z.array(z.object({ peerId: z.string(), volume: z.number() })),
  }),
  /** Who is on stage, in the thumbnails and sharing a screen, for this viewer. */
  z.object({
    type: z.literal('mediaLayout'),
    stage: z.string().nullable(),
    thumbnails: z.array(z.string()),
    screen: z.string().nullable(),
  }),
  /** This peer's media server went away: build transports again and produce again. */
  z.object({ type: z.literal('reconnectMedia'), reason: z.enum(['workerDied']) }),
]);
export type SfuServerEvent = z.infer<typeof sfuServerEventSchema>;
export type SfuServerEventType = SfuServerEvent['type'];
