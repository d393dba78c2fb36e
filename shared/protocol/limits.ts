/** Protocol-level limits shared by client and server. Server config may lower (never raise) the runtime ones. */
export const Limits = {
  /** Longest client command id. */
  commandIdLength: 64,
  /** Longest chat message, in characters. */
  chatText: 2000,
  /** Longest agenda title. */
  agendaTitle: 300,
  /** Longest agenda item description. */
  agendaDescription: 10_000,
  /** Longest annotation text. */
  annotationText: 2000,
  /** Longest reason for a removal or a rejection. */
  reason: 1000,
  /** Largest awareness state of one client, as JSON bytes. */
  awarenessStateBytes: 1024,
  /** Longest name of a participant or document. */
  name: 300,
} as const;
