/**
 * The five ways a participant is validated, and a meeting's identity settings: which methods it
 * accepts and which of them admit automatically (without the organizer's click).
 */
import { z } from 'zod';
import type { Storage } from '../storage/Storage.ts';

/** Validation methods, as the participants document and the audit log name them. */
export const METHODS = ['invitation-link', 'one-time-code', 'external-idp', 'power-of-attorney', 'key-challenge'] as const;
export type Method = (typeof METHODS)[number];
/** Logging in with an absentee ballot link: validates for the absentee window only, never enters the lobby. */
export const ABSENTEE_METHOD = 'absentee-link';
export type LoginMethod = Method | typeof ABSENTEE_METHOD;

const MethodSettingsSchema = z.object({ enabled: z.boolean(), autoAdmit: z.boolean() }).strict();

/** A meeting's identity settings. */
export const IdentitySettingsSchema = z.object({ methods: z.object(Object.fromEntries(METHODS.map((m) => [m, MethodSettingsSchema])) as Record<Method, typeof MethodSettingsSchema>) });
export type IdentitySettings = z.infer<typeof IdentitySettingsSchema>;

/** What the organizer sends to change the settings: only the methods and fields that change. */
export const IdentitySettingsPatchSchema = z
  .object({
    methods: z.partialRecord(z.enum(METHODS), z.object({ enabled: z.boolean().optional(), autoAdmit: z.boolean().optional() }).strict()),
  })
  .strict();
export type IdentitySettingsPatch = z.infer<typeof IdentitySettingsPatchSchema>;

/**
 * Defaults: links and one-time codes on (they only reach addresses from the register); the external
 * provider, powers of attorney and keys off until the organizer turns them on; nobody admitted automatically.
 */
export const DEFAULT_SETTINGS: IdentitySettings = {
  methods: {
    'invitation-link': { enabled: true, autoAdmit: false },
    'one-time-code': { enabled: true, autoAdmit: false },
    'external-idp': { enabled: false, autoAdmit: false },
    'power-of-attorney': { enabled: false, autoAdmit: false },
    'key-challenge': { enabled: false, autoAdmit: false },
  },
};

/** The meeting's settings (the defaults where none are stored). */
export async function loadSettings(storage: Storage, meetingId: string): Promise<IdentitySettings> {
  const p = IdentitySettingsSchema.safeParse(await storage.getIdentitySettings(meetingId));
  return p.success ? p.data : DEFAULT_SETTINGS;
}

/** The settings with a patch applied. */
export function applyPatch(s: IdentitySettings, patch: IdentitySettingsPatch): IdentitySettings {
  const methods = { ...s.methods };
  for (const m of METHODS) {
    const change = patch.methods[m];
    if (change) methods[m] = { ...methods[m], ...change };
  }
  return { methods };
}

/** Names of the methods shown to people. */
export const METHOD_TITLES: Record<LoginMethod, string> = {
  'invitation-link': 'invitation link',
  'one-time-code': 'one-time code',
  'external-idp': 'external identity provider',
  'power-of-attorney': 'power of attorney',
  'key-challenge': 'registered key',
  'absentee-link': 'absentee ballot link',
};
