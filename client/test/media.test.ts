/** Unit tests of the room's video decisions (src/lib/room/mediaPlan.ts and the tiles): no browser, no hub. */
import { describe, expect, it } from 'vitest';
import { deviceErrorKey, gridRank, inLayout, pausePlan, refusalKey, type ConsumerRef } from '../src/lib/room/mediaPlan.ts';
import { buildTiles } from '../src/lib/room/tiles.ts';
import type { Participant, Presence } from '$shared/docs.ts';

const cam = (peerId: string, consumerId = `c-${peerId}`): ConsumerRef => ({ consumerId, peerId, kind: 'video', source: 'cam' });

describe('pausing video nobody sees', () => {
  const consumers: ConsumerRef[] = [cam('ann'), cam('bob'), cam('cat'), { consumerId: 'a-ann', peerId: 'ann', kind: 'audio', source: 'mic' }, { consumerId: 's-bob', peerId: 'bob', kind: 'video', source: 'screen' }];

  it('pauses the cameras of tiles off screen and the screen share when the stage is hidden; never audio', () => {
    const plan = pausePlan(consumers, new Set(), { users: new Set(['ann']), screen: false });
    expect(plan.pause.sort()).toEqual(['c-bob', 'c-cat', 's-bob']);
    expect(plan.resume).toEqual([]);
  });

  it('resumes what comes back on screen, and leaves alone what is already right', () => {
    const plan = pausePlan(consumers, new Set(['c-bob', 'c-cat', 's-bob']), { users: new Set(['ann', 'bob']), screen: true });
    expect(plan.pause).toEqual([]);
    expect(plan.resume.sort()).toEqual(['c-bob', 's-bob']);
  });

  it('with nothing on screen (a document open, another tab on a phone) every video pauses', () => {
    expect(pausePlan(consumers, new Set(), { users: new Set(), screen: false }).pause).toHaveLength(4);
  });
});

describe('which received video belongs on screen', () => {
  const layout = { stage: 'ann', thumbnails: ['bob'], screen: 'cat' };
  it('a camera while its owner is on the stage or in the thumbnails; a screen share while it is the room\'s', () => {
    expect(inLayout({ peerId: 'ann', source: 'cam' }, layout)).toBe(true);
    expect(inLayout({ peerId: 'bob', source: 'cam' }, layout)).toBe(true);
    expect(inLayout({ peerId: 'dan', source: 'cam' }, layout)).toBe(false); // kept paused by the SFU for a quick return
    expect(inLayout({ peerId: 'cat', source: 'screen' }, layout)).toBe(true);
    expect(inLayout({ peerId: 'bob', source: 'screen' }, layout)).toBe(false);
    expect(inLayout({ peerId: 'dan', source: 'cam' }, null)).toBe(true);
  });
});

describe('messages for refusals and device errors', () => {
  it('explains the hub\'s refusals per source', () => {
    expect(refusalKey('mic', 'noFloor')).toBe('media.error.noFloor.mic');
    expect(refusalKey('screen', 'noFloor')).toBe('media.error.noFloor.screen');
    expect(refusalKey('screen', 'screenShareBusy')).toBe('media.error.screenShareBusy');
    expect(refusalKey('cam', 'mutedByOrganizer')).toBe('media.error.muted.cam');
    expect(refusalKey('cam', 'rejectedByMediaServer')).toBeNull();
  });

  it('explains device errors, and says nothing when the screen picker was closed', () => {
    const err = (name: string) => Object.assign(new Error(name), { name });
    expect(deviceErrorKey('cam', err('NotAllowedError'))).toBe('media.error.denied.cam');
    expect(deviceErrorKey('screen', err('NotAllowedError'))).toBeNull();
    expect(deviceErrorKey('mic', err('NotFoundError'))).toBe('media.error.missing.mic');
    expect(deviceErrorKey('cam', err('NotReadableError'))).toBe('media.error.busy.cam');
    expect(deviceErrorKey('mic', new Error('boom'))).toBe('media.error.other');
  });
});

describe('tiles with video', () => {
  const person = (userId: string, name: string, role: Participant['role'] = 'voter'): Participant =>
    ({ userId, name, role, status: 'admitted', weight: '0.00', rows: [] }) as unknown as Participant;
  const online = (userId: string, name: string): Presence => ({ userId, name, online: true, hand: false, speaking: false, view: 'room' });
  const names = ['Антонов', 'Борисов', 'Васильев', 'Григорьев', 'Дмитриев'];
  const people = [person('org', 'Председатель', 'organizer'), ...names.map((n, i) => person(`p${i}`, n))];
  const presence = people.map((p) => online(p.userId, p.name));
  const stream = {} as MediaStream;

  it('puts the SFU\'s last-N first in the grid (most recent speaker first), then oneself with a camera, then by name', () => {
    const { stage, grid } = buildTiles({
      presence,
      people,
      floor: [],
      hands: [],
      selfId: 'p0',
      streams: new Map([['p4', stream], ['p2', stream], ['p0', stream]]),
      speakers: new Set(['p4']),
      layout: { stage: null, thumbnails: ['p4', 'p2'], screen: null },
    });
    expect(stage.map((x) => x.userId)).toEqual(['org']);
    expect(grid.map((x) => x.userId)).toEqual(['p0', 'p4', 'p2', 'p1', 'p3']);
    expect(grid.find((x) => x.userId === 'p4')?.speaking).toBe(true);
    expect(grid.find((x) => x.userId === 'p1')?.stream).toBeNull();
  });

  it('ranks a tile without video after every tile with video', () => {
    const layout = { stage: null, thumbnails: ['x'], screen: null };
    expect(gridRank({ userId: 'x', self: false, hasVideo: true }, layout)).toBe(0);
    expect(gridRank({ userId: 'me', self: true, hasVideo: true }, layout)).toBe(-1);
    expect(gridRank({ userId: 'y', self: false, hasVideo: false }, layout)).toBeGreaterThan(gridRank({ userId: 'z', self: false, hasVideo: true }, layout));
  });
});
