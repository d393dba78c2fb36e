/**
 * JSON payloads of the Hello, Welcome, Result and Event frames, with runtime schemas.
 * Commands live in commands.ts. Every payload from the network is parsed with these schemas once,
 * at the socket boundary.
 */
import { z } from 'zod';
import { Limits } from './limits.ts';

/** Roles a token can carry. */
export const RoleSchema = z.enum(['organizer', 'voter', 'representative', 'observer']);
export type Role = z.infer<typeof RoleSchema>;

/** First frame from the client. `session` and `generation` let a reconnect replace its predecessor but never its successor. */
export const HelloSchema = z.object({
  v: z.number().int(),
  session: z.string().min(8).max(64).regex(/^[A-Za-z0-9_-]+$/),
  generation: z.number().int().nonnegative(),
  client: z.string().max(100).optional(),
});
export type Hello = z.infer<typeof HelloSchema>;

/** The server's answer to Hello: who the session is and which documents it syncs. */
export const WelcomeSchema = z.object({
  v: z.number().int(),
  meetingId: z.string(),
  userId: z.string(),
  name: z.string(),
  role: RoleSchema,
  /** Register rows this participant votes for (empty for non-voting roles). */
  rows: z.array(z.string()),
  docs: z.array(z.string()),
  /** Documents this session may write Yjs updates to directly. */
  writableDocs: z.array(z.string()),
  /** Awareness client id the server expects this session to use. */
  awarenessClientId: z.number().int(),
  tokenExpiresAt: z.number().int(),
  serverTime: z.number().int(),
  /** Whether video is available on this hub, and why not. */
  media: z.object({ enabled: z.boolean(), reason: z.string().optional() }),
});
export type Welcome = z.infer<typeof WelcomeSchema>;

/** Machine-readable error codes of failed commands. The message beside them is for people. */
export const ErrorCodeSchema = z.enum([
  'invalid-args',
  'unknown-command',
  'forbidden',
  'not-found',
  'conflict',
  'wrong-meeting',
  'rate-limited',
  'too-large',
  'unavailable',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** A readable refusal: code for programs, message for people, optional field path. */
export const CommandErrorSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  path: z.string().optional(),
});
export type CommandError = z.infer<typeof CommandErrorSchema>;

/** The answer to one command, matched by the client's command id. */
export const ResultSchema = z.discriminatedUnion('ok', [
  z.object({ id: z.string(), ok: z.literal(true), value: z.unknown() }),
  z.object({ id: z.string(), ok: z.literal(false), error: CommandErrorSchema }),
]);
export type Result = z.infer<typeof ResultSchema>;

/** An SFU request frame: the request itself is validated against shared/media/signalling.ts's schema. */
export const MediaRequestEnvelopeSchema = z.object({ id: z.string().min(1).max(Limits.commandIdLength), request: z.unknown() });
/** The answer to an SFU request. */
export const MediaResponseSchema = z.object({
  id: z.string(),
  result: z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), data: z.unknown() }),
    z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
  ]),
});
export type MediaResponse = z.infer<typeof MediaResponseSchema>;

/** Server events: things the server tells one session outside the shared documents. */
export const EventSchema = z.discriminatedUnion('type', [
  /** A fresh session token, pushed before the current one expires. */
  z.object({ type: z.literal('token'), token: z.string(), expiresAt: z.number().int() }),
  /** A message for the user (e.g. "you were admitted"). */
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'warn']), text: z.string().max(Limits.reason) }),
  /** SFU signalling events; their shapes are in shared/media. */
  z.object({ type: z.literal('media'), event: z.record(z.string(), z.unknown()) }),
]);
export type ServerEvent = z.infer<typeof EventSchema>;
