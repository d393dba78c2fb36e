/**
 * Identity and admission for a hub: the meeting's settings, the notice, and the five validation
 * methods (links, one-time codes, an external identity provider, powers of attorney, key challenges),
 * plus absentee ballots. The HTTP routes in server/http/routes/identity.ts call into this.
 */
import type { SessionClaims } from '../auth/TokenService.ts';
import type { Hub } from '../hub/Hub.ts';
import type { LinkPurpose } from '../hub/invitations.ts';
import { AbsenteeBallots } from './absentee.ts';
import { LoginCodes } from './codes.ts';
import { ExternalIdp } from './ExternalIdp.ts';
import { openIdentityKey } from './identityKey.ts';
import { KeyChallenges } from './KeyChallenges.ts';
import { loginWithLink, revokeAccess } from './links.ts';
import { changeMeeting } from './meetingEffects.ts';
import { applyPatch, loadSettings, METHODS, type IdentitySettings, type IdentitySettingsPatch, type Method } from './methods.ts';
import { Notices, type PublishedNotice } from './notice.ts';
import { PowersOfAttorney } from './PowersOfAttorney.ts';
import { WindowLimiter } from './WindowLimiter.ts';

const MINUTE_MS = 60_000;

/** What the login screen of a meeting needs to know. */
export interface LoginOptions {
  meeting: { id: string; title: string; kind: string; startsAt: string };
  /** The methods this meeting accepts. */
  methods: Method[];
  idp: { label: string; claim: string } | null;
  notice: Pick<PublishedNotice, 'form' | 'date' | 'absenteeDeadline' | 'agenda' | 'materials' | 'howToRead' | 'publishedAt'> | null;
}

/** The identity services of one hub. */
export class Identity {
  readonly links = {
    login: (meetingId: string, token: string, purpose: LinkPurpose) => loginWithLink(this.hub, meetingId, token, purpose),
    revoke: (meetingId: string, organizer: SessionClaims, a: { userId: string; reason: string; sessions: boolean }) => revokeAccess(this.hub, meetingId, organizer, a),
  };
  readonly codes: LoginCodes;
  readonly idp: ExternalIdp;
  readonly keys: KeyChallenges;
  readonly powers: PowersOfAttorney;
  readonly notices: Notices;
  readonly absentee: AbsenteeBallots;
  /** Requests per remote address to the public login endpoints. */
  readonly perRemote: WindowLimiter;

  constructor(readonly hub: Hub) {
    const cfg = hub.config.identity;
    this.codes = new LoginCodes(hub, openIdentityKey(hub.config.dataDir));
    this.idp = new ExternalIdp(hub, cfg.idp);
    this.keys = new KeyChallenges(hub);
    this.powers = new PowersOfAttorney(hub);
    this.notices = new Notices(hub);
    this.absentee = new AbsenteeBallots(hub, this.notices);
    this.perRemote = new WindowLimiter(cfg.ratePerMinute, MINUTE_MS);
  }

  settings(meetingId: string): Promise<IdentitySettings> {
    return loadSettings(this.hub.storage, meetingId);
  }

  /** Changes which methods the meeting accepts and which admit automatically (audited). */
  async updateSettings(meetingId: string, organizer: SessionClaims, patch: IdentitySettingsPatch): Promise<IdentitySettings> {
    const next = applyPatch(await this.settings(meetingId), patch);
    await this.hub.storage.putIdentitySettings(meetingId, next, Date.now());
    await changeMeeting(this.hub, meetingId, (c) => c.audit('identity.settings', { methods: next.methods, by: organizer.userId }));
    return next;
  }

  /** The public facts of a meeting's login screen, or null when there is no such meeting. */
  async loginOptions(meetingId: string): Promise<LoginOptions | null> {
    const [meeting, settings, notice] = await Promise.all([this.hub.storage.getMeeting(meetingId), this.settings(meetingId), this.notices.get(meetingId)]);
    if (!meeting) return null;
    const idp = this.idp.info;
    return {
      meeting: { id: meeting.id, title: meeting.title, kind: meeting.kind, startsAt: meeting.startsAt },
      methods: METHODS.filter((m) => settings.methods[m].enabled && (m !== 'external-idp' || idp.configured)),
      idp: idp.configured && idp.label && idp.claim ? { label: idp.label, claim: idp.claim } : null,
      notice: notice
        ? { form: notice.form, date: notice.date, absenteeDeadline: notice.absenteeDeadline, agenda: notice.agenda, materials: notice.materials, howToRead: notice.howToRead, publishedAt: notice.publishedAt }
        : null,
    };
  }
}
