/** The wire protocol: opcodes, frames, close codes, message schemas and commands. */
export * from './version.ts';
export * from './opcodes.ts';
export * from './closeCodes.ts';
export * from './limits.ts';
export * from './messages.ts';
export * from './commands.ts';
export * from './frames.ts';
