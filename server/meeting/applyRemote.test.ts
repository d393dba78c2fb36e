/**
 * A replica fans out what the owner's updates add, not the updates as received: the live stream
 * and a repair diff overlap, and a client must not be sent the same change twice.
 */
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame } from '../../shared/protocol/index.ts';
import type { HubServer } from '../app.ts';
import { startTestHub, DEMO } from '../test/helpers.ts';
import type { Meeting } from './Meeting.ts';
import type { MeetingSession } from './MeetingSession.ts';

describe('Meeting.applyRemote', () => {
  let server: HubServer;
  let meeting: Meeting;
  const frames: Uint8Array[] = [];
  const watcher: MeetingSession = { userId: 'obs-debtor', name: 'observer', role: 'observer', rows: [], awarenessClientId: 424242, writableDocs: [], send: (f) => frames.push(f), close: () => {} };

  beforeAll(async () => {
    server = await startTestHub();
    meeting = (await server.hub.getMeeting(DEMO))!;
    meeting.addSession(watcher);
  });
  afterAll(async () => {
    meeting.removeSession(watcher);
    await server.stop();
  });

  /** An update on top of the meeting's chat as it is now, adding `text` (what the owner would publish). */
  function ownerUpdate(base: Y.Doc, text: string): Uint8Array {
    const d = new Y.Doc();
    Y.applyUpdate(d, Y.encodeStateAsUpdate(base));
    const sv = Y.encodeStateVector(d);
    d.getArray<string>('probe').push([text]);
    return Y.encodeStateAsUpdate(d, sv);
  }

  /** The Yjs updates carried by the chat frames sent to the watcher since `from`. */
  function sentUpdates(from: number): Uint8Array[] {
    return frames.slice(from).flatMap((f) => {
      const d = decodeFrame(f);
      if ('error' in d || d.op !== 0 || d.doc !== 'chat') return [];
      const dec = decoding.createDecoder(d.message);
      return decoding.readVarUint(dec) === syncProtocol.messageYjsUpdate ? [decoding.readVarUint8Array(dec)] : [];
    });
  }

  it('sends a change once when it arrives twice, and only the new part of an overlapping diff', () => {
    const chat = meeting.docs.chat;
    const first = ownerUpdate(chat, 'one');
    const start = frames.length;
    meeting.applyRemote('chat', first);
    expect(sentUpdates(start)).toHaveLength(1);

    meeting.applyRemote('chat', first); // the same update again, from a repair diff
    expect(sentUpdates(start)).toHaveLength(1);

    // A diff holding the update already seen and a new one: only the new one goes out.
    const base = new Y.Doc();
    Y.applyUpdate(base, Y.encodeStateAsUpdate(chat));
    const second = ownerUpdate(base, 'two');
    meeting.applyRemote('chat', Y.mergeUpdates([first, second]));
    const sent = sentUpdates(start);
    expect(sent).toHaveLength(2);
    const replica = new Y.Doc();
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(chat, Y.encodeStateVector(new Y.Doc())));
    expect(replica.getArray('probe').toArray()).toEqual(['one', 'two']);
    // The second frame carries 'two' and not 'one' again.
    const onlyNew = Y.decodeUpdate(sent[1]!);
    expect(onlyNew.structs).toHaveLength(1);
    expect(JSON.stringify(onlyNew.structs[0])).toContain('two');
  });
});
