/** Short notifications (refused commands, server notices), announced to screen readers. */

export interface Toast {
  id: number;
  level: 'info' | 'warn';
  text: string;
}

const LIFETIME_MS = 8000;
const MAX_SHOWN = 4;

class Toasts {
  items = $state<Toast[]>([]);
  private next = 1;

  /** Shows a notification for a while. */
  push(level: Toast['level'], text: string): void {
    const id = this.next++;
    this.items = [...this.items.slice(-(MAX_SHOWN - 1)), { id, level, text }];
    setTimeout(() => this.dismiss(id), LIFETIME_MS);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((x) => x.id !== id);
  }
}

/** The page's notifications. */
export const toasts = new Toasts();
