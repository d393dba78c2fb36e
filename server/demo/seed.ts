/**
 * The demo fixture: a meeting of creditors with a register of 12 claims, an organizer, creditors,
 * a representative and an agenda of four items, loaded from data/demo on first start. Each start
 * prints fresh one-click login links.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { RoleSchema } from '../../shared/protocol/messages.ts';
import { readAgenda } from '../../shared/docs.ts';
import type { Hub } from '../hub/Hub.ts';
import { createInvitation } from '../hub/invitations.ts';
import { parseRegisterCsv } from '../http/register.ts';
import { addAgendaItem } from '../meeting/commands.ts';

const FixtureSchema = z.object({
  id: z.string(),
  title: z.string(),
  kind: z.string(),
  startsAt: z.string(),
  organizer: z.object({ userId: z.string(), name: z.string(), email: z.string().optional() }),
  participants: z.array(z.object({ userId: z.string(), name: z.string(), role: RoleSchema, rows: z.array(z.string()) })),
  agenda: z.array(z.object({ title: z.string(), description: z.string(), draft: z.string() })),
  printLinksFor: z.array(z.string()),
});

/** A printed login link. */
export interface DemoLink {
  userId: string;
  name: string;
  role: string;
  link: string;
}

/** Loads the demo meeting if it is not there yet, and returns fresh reusable login links. */
export async function seedDemo(hub: Hub, fixtureDir: string, publicUrl: string): Promise<{ meetingId: string; links: DemoLink[] }> {
  const fx = FixtureSchema.parse(JSON.parse(fs.readFileSync(path.join(fixtureDir, 'meeting.json'), 'utf8')));
  if (!(await hub.storage.getMeeting(fx.id))) {
    const reg = parseRegisterCsv(fs.readFileSync(path.join(fixtureDir, 'register.csv'), 'utf8'));
    if (!reg.ok) throw new Error(`demo register is invalid: ${JSON.stringify(reg.errors)}`);
    await hub.storage.createMeeting({ id: fx.id, title: fx.title, kind: fx.kind, startsAt: fx.startsAt, organizerUserId: fx.organizer.userId, createdAt: Date.now() });
    await hub.storage.replaceRegister(fx.id, reg.rows);
    await hub.storage.upsertUser({ id: fx.organizer.userId, name: fx.organizer.name, email: fx.organizer.email ?? null, phone: null });
    await hub.storage.upsertParticipant({ meetingId: fx.id, userId: fx.organizer.userId, role: 'organizer', rows: [] });
    for (const p of fx.participants) {
      await hub.storage.upsertUser({ id: p.userId, name: p.name, email: null, phone: null });
      await hub.storage.upsertParticipant({ meetingId: fx.id, userId: p.userId, role: p.role, rows: p.rows });
    }
  }
  const meeting = await hub.getMeeting(fx.id);
  if (!meeting) throw new Error('demo meeting failed to load');
  if (readAgenda(meeting.docs.agenda).length === 0) {
    await meeting.systemChange((docs) => {
      for (const a of fx.agenda) addAgendaItem(docs, a, Date.now());
    });
  }
  const people = [{ ...fx.organizer, role: 'organizer' as const, rows: [] as string[] }, ...fx.participants];
  const links: DemoLink[] = [];
  for (const userId of fx.printLinksFor) {
    const p = people.find((x) => x.userId === userId);
    if (!p) continue;
    const inv = await createInvitation(hub, fx.id, { userId, name: p.name, role: p.role, rows: p.rows, ttlHours: 24 * 30 }, { reusable: true, publicUrl });
    links.push({ userId, name: p.name, role: p.role, link: inv.link });
  }
  if (meeting.sessions.size === 0) meeting.onIdle(meeting);
  return { meetingId: fx.id, links };
}
