/**
 * A tiny typed event emitter whose `emit` calls every listener even when one throws
 * (the error goes to `onListenerError`), like mediasoup's `safeEmit`: one broken
 * listener in the hub must not stop a room from telling its other peers.
 */
export type Listener<A extends unknown[]> = (...args: A) => void;

export class SafeEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never[]>>>();

  constructor(private readonly onListenerError: (event: string, error: unknown) => void = () => {}) {}

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    const stored = listener as unknown as Listener<never[]>;
    set.add(stored);
    return () => {
      set.delete(stored);
    };
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as Listener<Events[K]>)(...args);
      } catch (error) {
        this.onListenerError(String(event), error);
      }
    }
  }

  removeAll(): void {
    this.#listeners.clear();
  }
}
