/** The wire protocol version. Bump on any incompatible change to opcodes, frames or message shapes. */
export const PROTOCOL_VERSION = 1;
/** The oldest client protocol version this build still speaks. */
export const MIN_PROTOCOL_VERSION = 1;
