import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readChat, readParticipants, readQuorum, readAgenda, readQueue, readAnnotations, Layout } from '../../shared/docs.ts';
import type { HubServer } from '../app.ts';
import type { HubClient } from '../../shared/client/HubClient.ts';
import { connect, startTestHub, waitFor } from './helpers.ts';

describe('a meeting on one hub', () => {
  let server: HubServer;
  const clients: HubClient[] = [];
  const join = async (userId: string) => {
    const c = await connect(server, userId);
    clients.push(c);
    await c.whenSynced();
    return c;
  };

  beforeEach(async () => {
    server = await startTestHub();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.stop();
  });

  it('loads the demo meeting: 4 agenda items, the roster, and a quorum that is not reached before admission', async () => {
    const org = await join('org-ivanov');
    expect(readAgenda(org.docs.agenda).map((i) => i.title)).toHaveLength(4);
    const people = readParticipants(org.docs.participants);
    expect(people.length).toBeGreaterThanOrEqual(12);
    expect(people.find((p) => p.userId === 'org-ivanov')?.status).toBe('admitted');
    expect(readQuorum(org.docs.participants)).toMatchObject({ reached: false, present: '0.00' });
    expect(org.welcome?.role).toBe('organizer');
  });

  it('two admitted creditors see each other\'s chat within one sync', async () => {
    const org = await join('org-ivanov');
    const a = await join('cred-stroy');
    const b = await join('cred-fns');
    // Before admission a creditor is in the lobby and may not post.
    const early = await a.command('chat.post', { text: 'hello?' });
    expect(early).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    for (const u of ['cred-stroy', 'cred-fns']) expect(await org.command('participant.admit', { userId: u })).toEqual({ ok: true, value: {} });

    const sent = await a.command('chat.post', { text: 'Добрый день, коллеги' });
    expect(sent.ok).toBe(true);
    // The ack arrives after the broadcast: the sender's own replica already has it.
    expect(readChat(a.docs.chat).map((m) => m.text)).toContain('Добрый день, коллеги');
    await waitFor(() => readChat(b.docs.chat).some((m) => m.text === 'Добрый день, коллеги' && m.name.includes('СтройИнвест')), 'chat at b');
    const quorum = readQuorum(b.docs.participants);
    expect(quorum?.present).toBe('22250000.50');
  });

  it('a late joiner gets the full state, and presence of the others', async () => {
    const org = await join('org-ivanov');
    await org.command('participant.admit', { userId: 'cred-stroy' });
    const a = await join('cred-stroy');
    a.setPresence({ userId: 'cred-stroy', name: 'Смирнова', online: true, hand: false });
    for (let i = 0; i < 20; i++) await a.command('chat.post', { text: `message ${i}` });
    await a.command('hand.raise', {});
    const late = await join('cred-fns');
    expect(readChat(late.docs.chat)).toHaveLength(20);
    expect(readQueue(late.docs.queue).hands.map((h) => h.userId)).toEqual(['cred-stroy']);
    await waitFor(() => [...(late.awareness?.getStates().values() ?? [])].some((s) => (s as { userId?: string }).userId === 'cred-stroy'), 'presence');
  });

  it('refuses chat once the chat document is full, keeps what was posted, and still serves late joiners the whole chat', async () => {
    await server.stop();
    server = await startTestHub({ MAX_DOC_BYTES: '6000' });
    const org = await join('org-ivanov');
    await org.command('participant.admit', { userId: 'cred-stroy' });
    const a = await join('cred-stroy');
    const text = 'x'.repeat(200);
    let accepted = 0;
    let refusal: unknown = null;
    for (let i = 0; i < 100 && !refusal; i++) {
      const r = await a.command('chat.post', { text: `${i} ${text}` });
      if (r.ok) accepted += 1;
      else refusal = r;
    }
    expect(refusal).toMatchObject({ ok: false, error: { code: 'too-large', message: 'The chat is full for this meeting.' } });
    // Roughly 6000 bytes of 200-character messages, and none of them lost.
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(30);
    const late = await join('cred-fns');
    expect(readChat(late.docs.chat)).toHaveLength(accepted);
    expect(readChat(a.docs.chat)).toHaveLength(accepted);
  });

  it('runs the speaker queue: raise, grant, revoke; and only the organizer grants', async () => {
    const org = await join('org-ivanov');
    for (const u of ['cred-stroy', 'cred-fns']) await org.command('participant.admit', { userId: u });
    const a = await join('cred-stroy');
    const b = await join('cred-fns');
    expect(await a.command('hand.raise', {})).toEqual({ ok: true, value: { position: 1 } });
    expect(await b.command('hand.raise', {})).toEqual({ ok: true, value: { position: 2 } });
    expect(await b.command('floor.grant', { userId: 'cred-fns' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect((await org.command('floor.grant', { userId: 'cred-stroy' })).ok).toBe(true);
    await waitFor(() => readQueue(b.docs.queue).floor.some((f) => f.userId === 'cred-stroy'), 'floor at b');
    expect(readQueue(b.docs.queue).hands.map((h) => h.userId)).toEqual(['cred-fns']);
    expect((await org.command('floor.revoke', { userId: 'cred-stroy' })).ok).toBe(true);
    await waitFor(() => readQueue(b.docs.queue).floor.length === 0, 'floor revoked');
  });

  it('edits the agenda and annotates an attached document', async () => {
    const org = await join('org-ivanov');
    await org.command('participant.admit', { userId: 'cred-stroy' });
    const a = await join('cred-stroy');
    const added = await org.command('agenda.add', { title: 'Разное', draft: 'Текст решения' });
    expect(added.ok).toBe(true);
    const itemId = added.ok ? added.value.itemId : '';
    expect((await org.command('agenda.move', { itemId, toIndex: 0 })).ok).toBe(true);
    await waitFor(() => readAgenda(a.docs.agenda)[0]?.title === 'Разное', 'moved item');
    expect(Layout.draft(a.docs.drafts, itemId).toString()).toBe('Текст решения');
    expect(await a.command('agenda.add', { title: 'x' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });

    const sha = 'a'.repeat(64);
    expect(await a.command('annotation.add', { docId: sha, page: 1, x: 0.5, y: 0.5, text: 'см. п. 3' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect((await org.command('agenda.update', { itemId, documents: [sha] })).ok).toBe(true);
    const ann = await a.command('annotation.add', { docId: sha, page: 2, x: 0.25, y: 0.75, text: 'см. п. 3' });
    expect(ann.ok).toBe(true);
    await waitFor(() => readAnnotations(org.docs.annotations, sha).length === 1, 'annotation at organizer');
    const annotationId = ann.ok ? ann.value.annotationId : '';
    expect(await org.command('annotation.update', { annotationId, text: 'чужая' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect((await org.command('annotation.remove', { annotationId })).ok).toBe(true);
  });

  it('answers a retried command id once: one message, the same result', async () => {
    const org = await join('org-ivanov');
    const r1 = await org.command('chat.post', { text: 'once' }, { id: 'fixed-id-1' });
    const r2 = await org.command('chat.post', { text: 'once' }, { id: 'fixed-id-1' });
    expect(r2).toEqual(r1);
    expect(readChat(org.docs.chat).filter((m) => m.text === 'once')).toHaveLength(1);
  });

  it('refuses unknown commands, invalid args and commands for another meeting with readable errors', async () => {
    const org = await join('org-ivanov');
    const unknown = await org.command('vote.fly' as 'chat.post', { text: 'x' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    const invalid = await org.command('chat.post', { text: '' });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid-args', path: 'text' } });
    const tooLong = await org.command('chat.post', { text: 'x'.repeat(5000) });
    expect(tooLong).toMatchObject({ ok: false, error: { code: 'invalid-args' } });
    // The session still works after refusals.
    expect((await org.command('chat.post', { text: 'still here' })).ok).toBe(true);
  });

  it('removing a participant closes their sockets at once and keeps them out', async () => {
    const org = await join('org-ivanov');
    await org.command('participant.admit', { userId: 'cred-petrov' });
    const p = await join('cred-petrov');
    expect((await org.command('participant.remove', { userId: 'cred-petrov', reason: 'доверенность отозвана' })).ok).toBe(true);
    await waitFor(() => p.state === 'closed', 'removed client closed');
    expect(p.lastClose?.code).toBe(4403);
    const again = await connect(server, 'cred-petrov');
    clients.push(again);
    await waitFor(() => again.state === 'closed', 'rejoin refused');
    expect(again.lastClose?.code).toBe(4403);
    expect(readParticipants(org.docs.participants).find((x) => x.userId === 'cred-petrov')).toMatchObject({ status: 'removed', reason: 'доверенность отозвана' });
  });
});
