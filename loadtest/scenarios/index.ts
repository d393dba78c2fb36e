/** The scenario definitions, frames and latency markers shared by the Node harness and the k6 scripts. */
export * from './definitions.ts';
export * from './markers.ts';
export * from './wire.ts';
export * from './votes.ts';
export { ProtocolSession, type SessionEvents, type SessionOptions } from './ProtocolSession.ts';
