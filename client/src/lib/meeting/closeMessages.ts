/** What the interface says after the hub closed the connection for good, by close code. */
import { CloseCode } from '$shared/protocol/closeCodes.ts';
import type { MessageKey } from '../i18n/index.svelte.ts';

/** A blocking message: title, body, and which way out to offer. */
export interface CloseMessage {
  title: MessageKey;
  body: MessageKey;
  action: 'reload' | 'use-here' | 'home';
}

/** The message for a final close code (reconnectable codes never reach the user as a blocking message). */
export function closeMessage(code: number): CloseMessage {
  switch (code) {
    case CloseCode.Forbidden:
      return { title: 'closed.removed.title', body: 'closed.removed.body', action: 'home' };
    case CloseCode.AuthExpired:
      return { title: 'closed.expired.title', body: 'closed.expired.body', action: 'home' };
    case CloseCode.SessionReplaced:
      return { title: 'closed.replaced.title', body: 'closed.replaced.body', action: 'use-here' };
    case CloseCode.AuthInvalid:
      return { title: 'closed.invalid.title', body: 'closed.invalid.body', action: 'home' };
    case CloseCode.MeetingNotFound:
      return { title: 'closed.notFound.title', body: 'closed.notFound.body', action: 'home' };
    case CloseCode.VersionTooOld:
    case CloseCode.VersionTooNew:
      return { title: 'closed.version.title', body: 'closed.version.body', action: 'reload' };
    default:
      return { title: 'closed.other.title', body: 'closed.other.body', action: 'reload' };
  }
}
