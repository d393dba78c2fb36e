/** The browser side of the media end-to-end test: a bare page that joins a meeting's media through the hub. */
import { HubClient } from '../../../shared/client/HubClient.ts';
import { MediaSession } from '../../../shared/client/MediaSession.ts';
import type { SfuServerEvent } from '../../../shared/media/signalling.ts';

const state: { client?: HubClient; media?: MediaSession; events: SfuServerEvent[] } = { events: [] };

Object.assign(window, {
  async join(url: string, token: string) {
    const client = new HubClient({ url, token });
    await client.whenSynced();
    const media = new MediaSession(client);
    media.onEvent = (e) => state.events.push(e);
    await media.join();
    Object.assign(state, { client, media });
    return client.welcome?.media;
  },
  async produce(source: 'mic' | 'cam') {
    const stream = await navigator.mediaDevices.getUserMedia(source === 'mic' ? { audio: true } : { video: { width: 640, height: 360 } });
    const track = source === 'mic' ? stream.getAudioTracks()[0]! : stream.getVideoTracks()[0]!;
    return state.media!.produce(source, track);
  },
  command(type: string, args: object) {
    return state.client!.command(type as 'chat.post', args as never);
  },
  stats() {
    return state.media!.inboundStats();
  },
  remote() {
    return [...state.media!.remote.values()].map((r) => ({ peerId: r.peerId, kind: r.kind, source: r.source, view: r.view }));
  },
  events() {
    return state.events.map((e) => e.type + ('reason' in e ? `:${e.reason}` : ''));
  },
});
