/**
 * The hub's HTTP API as the browser uses it: invitation login, the register, document upload and
 * download. Answers are parsed with schemas; failures are values with a readable message.
 */
import { z } from 'zod';
import { RoleSchema } from '$shared/protocol/messages.ts';

/** A failed request: HTTP status (0 for a network failure) and the server's message. */
export interface ApiError {
  status: number;
  message: string;
}
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

const ProblemSchema = z.object({ error: z.string(), details: z.unknown().optional() });

async function problemOf(res: Response): Promise<ApiError> {
  try {
    const p = ProblemSchema.safeParse(await res.json());
    if (p.success) {
      const details = Array.isArray(p.data.details)
        ? p.data.details.map((d) => (typeof d === 'object' && d && 'message' in d ? String((d as { message: unknown }).message) : String(d))).join('; ')
        : '';
      return { status: res.status, message: details ? `${p.data.error} ${details}` : p.data.error };
    }
  } catch {
    // Not JSON: fall through to the status text.
  }
  return { status: res.status, message: res.statusText || `HTTP ${res.status}` };
}

async function request<T>(schema: z.ZodType<T>, input: string, init: RequestInit): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(input, init);
  } catch (err) {
    return { ok: false, error: { status: 0, message: err instanceof Error ? err.message : String(err) } };
  }
  if (!res.ok) return { ok: false, error: await problemOf(res) };
  try {
    const p = schema.safeParse(await res.json());
    if (p.success) return { ok: true, value: p.data };
    return { ok: false, error: { status: res.status, message: 'unexpected answer from the server' } };
  } catch {
    return { ok: false, error: { status: res.status, message: 'unexpected answer from the server' } };
  }
}

const LoginSchema = z.object({
  token: z.string(),
  expiresAt: z.number(),
  meetingId: z.string(),
  userId: z.string(),
  role: RoleSchema,
  name: z.string(),
});
export type Login = z.infer<typeof LoginSchema>;

/** Exchanges an invitation token for a session token. */
export function loginWithInvite(invite: string): Promise<ApiResult<Login>> {
  return request(LoginSchema, '/api/login/link', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: invite }),
  });
}


const RegisterRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  inn: z.string().optional().nullable(),
  votes: z.string(),
  secured: z.boolean(),
});
export type RegisterRow = z.infer<typeof RegisterRowSchema>;

/** The meeting's register of claims (organizers only). */
export function fetchRegister(meetingId: string, token: string): Promise<ApiResult<RegisterRow[]>> {
  return request(z.object({ rows: z.array(RegisterRowSchema) }).transform((r) => r.rows), `/api/meetings/${encodeURIComponent(meetingId)}/register`, {
    headers: { authorization: `Bearer ${token}` },
  });
}

const UploadSchema = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), type: z.string(), size: z.number(), name: z.string() });
export type Uploaded = z.infer<typeof UploadSchema>;

/** Uploads a document (the raw file as the body); returns its SHA-256 id. */
export function uploadDocument(meetingId: string, token: string, file: File): Promise<ApiResult<Uploaded>> {
  return request(UploadSchema, `/api/meetings/${encodeURIComponent(meetingId)}/documents`, {
    method: 'POST',
    // Header values must be Latin-1: the file name travels percent-encoded.
    headers: { authorization: `Bearer ${token}`, 'x-filename': encodeURIComponent(file.name), 'content-type': file.type || 'application/octet-stream' },
    body: file,
  });
}

const LedgerBallotSchema = z.object({
  seq: z.number(),
  questionId: z.string(),
  version: z.string(),
  row: z.string(),
  userId: z.string(),
  choice: z.unknown(),
  at: z.number(),
  hash: z.string(),
});
export type LedgerBallot = z.infer<typeof LedgerBallotSchema>;

/** The meeting's ballot ledger (organizers only): every ballot, named, in order. */
export function fetchLedger(meetingId: string, token: string): Promise<ApiResult<{ ledgerHead: string; ballots: LedgerBallot[] }>> {
  return request(z.object({ ledgerHead: z.string(), ballots: z.array(LedgerBallotSchema) }), `/api/meetings/${encodeURIComponent(meetingId)}/ledger`, {
    headers: { authorization: `Bearer ${token}` },
  });
}

/** Downloads a document's bytes and type. */
export async function fetchDocument(sha256: string, token: string): Promise<ApiResult<{ type: string; data: ArrayBuffer }>> {
  let res: Response;
  try {
    res = await fetch(`/api/documents/${sha256}`, { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    return { ok: false, error: { status: 0, message: err instanceof Error ? err.message : String(err) } };
  }
  if (!res.ok) return { ok: false, error: await problemOf(res) };
  return { ok: true, value: { type: res.headers.get('content-type') ?? 'application/octet-stream', data: await res.arrayBuffer() } };
}
