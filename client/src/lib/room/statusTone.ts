/** Colour tone of an agenda status chip. */
import type { AgendaStatus } from '$shared/protocol/commands.ts';

export function statusTone(s: AgendaStatus): string {
  switch (s) {
    case 'active':
      return 'info';
    case 'voting':
      return 'warn';
    case 'done':
      return 'ok';
    case 'skipped':
      return 'danger';
    case 'pending':
      return '';
    default: {
      const unreachable: never = s;
      return unreachable;
    }
  }
}
