/**
 * Fast provisioning for the Node harness: starts the hub in-process on the template data directory
 * and writes meetings, registers and participants straight into its storage, with session tokens
 * from its own token service (the brief allows this when the hub runs in-process). Admission and
 * the agenda item still go through the protocol (provision.ts prepareMeeting). Seconds instead of
 * the minutes 2,000 invitations take through the HTTP API on a busy machine; `--provision http`
 * uses the API instead (provision.ts), as the k6 scripts do.
 */
import { loadConfig } from '../../server/config.ts';
import { startHub } from '../../server/app.ts';
import { participantId, registerRows } from '../scenarios/definitions.ts';
import { prepareMeeting, type ProvisionedMember, type ProvisionedRoom } from './provision.ts';

const ORGANIZER = { id: 'lt-organizer', name: 'Load test organizer' };

/** Creates rooms of the given sizes for each tag; resolves once the hub is stopped and its data is on disk. */
export async function provisionDirect(
  dataDir: string,
  groups: { tag: string; sizes: readonly number[] }[],
  hubEnv: Record<string, string>,
  progress: (line: string) => void = () => {},
): Promise<Record<string, ProvisionedRoom[]>> {
  const server = await startHub(
    loadConfig({ MEDIA: 'off', DEMO: 'on', LOG_LEVEL: 'warn', ...hubEnv, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SQLITE_SYNCHRONOUS: 'NORMAL' }),
  );
  try {
    const { storage, tokens } = server.hub;
    const ws = `ws://127.0.0.1:${server.port}/ws`;
    await storage.upsertUser({ id: ORGANIZER.id, name: ORGANIZER.name, email: null, phone: null });
    const out: Record<string, ProvisionedRoom[]> = {};
    for (const { tag, sizes } of groups) {
      const rooms: ProvisionedRoom[] = [];
      for (const [room, size] of sizes.entries()) {
        const meetingId = `lt-${tag}-r${room}`;
        await storage.createMeeting({ id: meetingId, title: `Load test ${tag} room ${room}`, kind: 'creditors', startsAt: '2030-01-01T10:00:00+03:00', organizerUserId: ORGANIZER.id, createdAt: Date.now() });
        await storage.upsertParticipant({ meetingId, userId: ORGANIZER.id, role: 'organizer', rows: [] });
        const register = registerRows(size - 1);
        await storage.replaceRegister(meetingId, register.map((r) => ({ ...r, inn: null, secured: false, email: null, phone: null })));
        const members: ProvisionedMember[] = [];
        for (let i = 1; i < size; i++) {
          const userId = participantId(tag, room, i);
          const name = `Creditor ${room}.${i}`;
          const rows = [register[i - 1]!.id];
          await storage.upsertUser({ id: userId, name, email: null, phone: null });
          await storage.upsertParticipant({ meetingId, userId, role: 'voter', rows });
          members.push({ member: i, userId, role: 'voter', token: (await tokens.issue({ userId, meetingId, role: 'voter', name, rows })).token });
        }
        const organizer: ProvisionedMember = {
          member: 0,
          userId: ORGANIZER.id,
          role: 'organizer',
          token: (await tokens.issue({ userId: ORGANIZER.id, meetingId, role: 'organizer', name: ORGANIZER.name, rows: [] })).token,
        };
        const itemId = await prepareMeeting(ws, meetingId, organizer, members, room);
        rooms.push({ room, meetingId, itemId, members: [organizer, ...members] });
        progress(`provisioned ${tag} room ${room + 1}/${sizes.length}: ${size} participants (${meetingId})`);
      }
      out[tag] = rooms;
    }
    return out;
  } finally {
    await server.stop();
  }
}
