import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MEDIA_POLICY,
  bumpSpeakerOrder,
  checkFloor,
  checkMute,
  checkProduce,
  checkResumeProducer,
  choosePlacement,
  clampPreferredLayers,
  computeVideoLayout,
  consumerShouldRun,
  idleConsumersToClose,
  layersForView,
  muteAction,
  planConsumers,
  topSpeakers,
  type ProduceCheck,
} from '../policy.ts';

const base: ProduceCheck = {
  peerId: 'p',
  role: 'participant',
  kind: 'audio',
  source: 'mic',
  holdsFloor: false,
  alreadyProducing: false,
  mutedByOrganizer: false,
  screenSharer: null,
};
const code = (d: { ok: boolean; error?: { code: string } }) => (d.ok ? 'ok' : d.error?.code);

describe('checkProduce', () => {
  it('refuses a mic without the floor (everyone joins muted) and allows it with the floor', () => {
    expect(code(checkProduce(base))).toBe('noFloor');
    expect(code(checkProduce({ ...base, role: 'organizer' }))).toBe('noFloor');
    expect(code(checkProduce({ ...base, holdsFloor: true }))).toBe('ok');
  });
  it('lets anyone start a camera', () => {
    expect(code(checkProduce({ ...base, kind: 'video', source: 'cam' }))).toBe('ok');
  });
  it('allows one screen share at a time, for floor holders and organizers', () => {
    const screen = { ...base, kind: 'video', source: 'screen' } as const;
    expect(code(checkProduce(screen))).toBe('noFloor');
    expect(code(checkProduce({ ...screen, role: 'organizer' }))).toBe('ok');
    expect(code(checkProduce({ ...screen, holdsFloor: true, screenSharer: 'other' }))).toBe('screenShareBusy');
    expect(code(checkProduce({ ...screen, role: 'organizer', screenSharer: 'other' }))).toBe('screenShareBusy');
  });
  it('refuses mismatched kinds, duplicates and organizer-muted sources', () => {
    expect(code(checkProduce({ ...base, kind: 'video', holdsFloor: true }))).toBe('kindMismatch');
    expect(code(checkProduce({ ...base, holdsFloor: true, alreadyProducing: true }))).toBe('alreadyProducing');
    expect(code(checkProduce({ ...base, holdsFloor: true, mutedByOrganizer: true }))).toBe('mutedByOrganizer');
  });
});

describe('floor and mute', () => {
  it('caps floor holders at maxSpeakers and drops duplicates', () => {
    expect(checkFloor(['a', 'b', 'c'], 3)).toEqual({ ok: true, holders: ['a', 'b', 'c'] });
    expect(checkFloor(['a', 'a', 'b'], 2)).toEqual({ ok: true, holders: ['a', 'b'] });
    expect(code(checkFloor(['a', 'b', 'c', 'd'], 3))).toBe('tooManySpeakers');
    expect(DEFAULT_MEDIA_POLICY.maxSpeakers).toBe(3);
  });
  it('lets only organizers mute, a mic by pausing and video by closing', () => {
    expect(code(checkMute({ peerId: 'o', role: 'organizer' }, 'x'))).toBe('ok');
    expect(code(checkMute({ peerId: 'p', role: 'participant' }, 'x'))).toBe('forbidden');
    expect(muteAction('mic')).toBe('pause');
    expect(muteAction('cam')).toBe('close');
    expect(muteAction('screen')).toBe('close');
  });
  it('resumes a mic only with the floor and never past an organizer mute', () => {
    expect(code(checkResumeProducer({ source: 'mic', holdsFloor: false, mutedByOrganizer: false }))).toBe('noFloor');
    expect(code(checkResumeProducer({ source: 'mic', holdsFloor: true, mutedByOrganizer: true }))).toBe('mutedByOrganizer');
    expect(code(checkResumeProducer({ source: 'cam', holdsFloor: false, mutedByOrganizer: false }))).toBe('ok');
  });
});

describe('last-N video layout', () => {
  it('puts the pinned camera on stage and the most recent speakers in the thumbnails', () => {
    const layout = computeVideoLayout({
      viewerId: 'v',
      camPeers: ['a', 'b', 'c', 'd', 'e', 'f'],
      speakerOrder: ['e', 'c'],
      floorHolders: ['f'],
      pinned: 'a',
      screenSharer: null,
      lastN: 4,
    });
    expect(layout).toEqual({ stage: 'a', thumbnails: ['e', 'c', 'f', 'b'], screen: null });
  });
  it('shows no stage for a pinned peer without a camera, and never the viewer itself', () => {
    const layout = computeVideoLayout({
      viewerId: 'a',
      camPeers: ['a', 'b'],
      speakerOrder: ['a'],
      floorHolders: [],
      pinned: 'z',
      screenSharer: 'b',
      lastN: 4,
    });
    expect(layout).toEqual({ stage: null, thumbnails: ['b'], screen: 'b' });
  });
  it('holds for any input: thumbnails are distinct cameras, at most lastN, without viewer or stage', () => {
    const ids = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
    fc.assert(
      fc.property(
        ids,
        fc.uniqueArray(ids),
        fc.array(ids),
        fc.array(ids),
        fc.option(ids, { nil: null }),
        fc.nat(6),
        (viewerId, camPeers, speakerOrder, floorHolders, pinned, lastN) => {
          const l = computeVideoLayout({ viewerId, camPeers, speakerOrder, floorHolders, pinned, screenSharer: null, lastN });
          expect(l.thumbnails.length).toBeLessThanOrEqual(lastN);
          expect(new Set(l.thumbnails).size).toBe(l.thumbnails.length);
          for (const t of l.thumbnails) {
            expect(camPeers).toContain(t);
            expect(t).not.toBe(viewerId);
            expect(t).not.toBe(l.stage);
          }
          if (l.stage !== null) expect(camPeers).toContain(l.stage);
          // Enough cameras: the grid is full.
          const eligible = camPeers.filter((p) => p !== viewerId && p !== l.stage).length;
          expect(l.thumbnails.length).toBe(Math.min(lastN, eligible));
        },
      ),
    );
  });
  it('merges routers\' audio levels into the loudest few speakers', () => {
    const volumes = [
      { peerId: 'a', volume: -40 },
      { peerId: 'b', volume: -20 },
      { peerId: 'a', volume: -10 },
      { peerId: 'c', volume: -30 },
      { peerId: 'd', volume: -60 },
    ];
    expect(topSpeakers(volumes, 3)).toEqual([
      { peerId: 'a', volume: -10 },
      { peerId: 'b', volume: -20 },
      { peerId: 'c', volume: -30 },
    ]);
    expect(topSpeakers([], 3)).toEqual([]);
  });
  it('bumps the loud speakers to the front and keeps everyone else in order', () => {
    expect(bumpSpeakerOrder(['a', 'b', 'c'], ['c', 'x'])).toEqual(['c', 'x', 'a', 'b']);
    fc.assert(
      fc.property(fc.uniqueArray(fc.string()), fc.array(fc.string()), (order, loud) => {
        const next = bumpSpeakerOrder(order, loud);
        expect(new Set(next)).toEqual(new Set([...order, ...loud]));
        expect(next.length).toBe(new Set([...order, ...loud]).size);
      }),
    );
  });
});

describe('consumer plan and layers', () => {
  const layout = { stage: 's', thumbnails: ['t1', 't2'], screen: 'sh' };
  const producers = [
    { producerId: 'mic-s', peerId: 's', source: 'mic' },
    { producerId: 'mic-x', peerId: 'x', source: 'mic' },
    { producerId: 'cam-s', peerId: 's', source: 'cam' },
    { producerId: 'cam-t1', peerId: 't1', source: 'cam' },
    { producerId: 'cam-x', peerId: 'x', source: 'cam' },
    { producerId: 'scr', peerId: 'sh', source: 'screen' },
    { producerId: 'cam-v', peerId: 'v', source: 'cam' },
  ] as const;
  it('consumes audio of floor holders only, video of the layout only, and never its own', () => {
    const plan = planConsumers({ viewerId: 'v', producers, floorHolders: new Set(['s']), layout });
    expect(Object.fromEntries(plan)).toEqual({ 'mic-s': 'audio', 'cam-s': 'stage', 'cam-t1': 'thumbnail', scr: 'screen' });
  });
  it('gives thumbnails the lowest spatial layer and the stage a higher one', () => {
    const o = DEFAULT_MEDIA_POLICY;
    expect(layersForView('thumbnail', o)?.spatialLayer).toBe(0);
    expect(layersForView('stage', o)!.spatialLayer).toBeGreaterThan(layersForView('thumbnail', o)!.spatialLayer);
    expect(layersForView('audio', o)).toBeNull();
    expect(clampPreferredLayers({ spatialLayer: 2 }, 'thumbnail', o)).toEqual({ spatialLayer: 0, temporalLayer: 2 });
    expect(clampPreferredLayers({ spatialLayer: 1, temporalLayer: 0 }, 'stage', o)).toEqual({ spatialLayer: 1, temporalLayer: 0 });
  });
  it('pauses video nobody shows', () => {
    expect(consumerShouldRun({ visible: true, clientPaused: false })).toBe(true);
    expect(consumerShouldRun({ visible: false, clientPaused: false })).toBe(false);
    expect(consumerShouldRun({ visible: true, clientPaused: true })).toBe(false);
  });
  it('closes the idle consumers hidden longest ago beyond the cap', () => {
    const idle = [
      { consumerId: 'old', hiddenAt: 1 },
      { consumerId: 'new', hiddenAt: 9 },
      { consumerId: 'mid', hiddenAt: 5 },
    ];
    expect(idleConsumersToClose(idle, 1)).toEqual(['mid', 'old']);
    expect(idleConsumersToClose(idle, 3)).toEqual([]);
  });
});

describe('choosePlacement', () => {
  it('picks the least-loaded worker, charging for a new router, lowest index on ties', () => {
    const c = [
      { workerIndex: 0, load: 10, roomHasRouter: true },
      { workerIndex: 1, load: 3, roomHasRouter: false },
    ];
    expect(choosePlacement(c, 8)).toBe(0);
    expect(choosePlacement(c, 7)).toBe(0); // 3 + 7 ties 10: the lower index
    expect(choosePlacement(c, 6)).toBe(1);
    expect(choosePlacement(c, 0)).toBe(1);
    expect(choosePlacement([{ workerIndex: 1, load: 0, roomHasRouter: false }, { workerIndex: 0, load: 0, roomHasRouter: false }], 8)).toBe(0);
    expect(choosePlacement([], 8)).toBeNull();
  });
});
