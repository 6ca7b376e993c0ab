/** A minimal observable store: one state object, replaced (never mutated) on change. */
export interface Store<T extends object> {
  getState(): T;
  /** Merges `patch` into the state; listeners run only if a value changed. */
  update(patch: Partial<T>): void;
  /** Calls `listener` on every change; returns the function that stops it. */
  subscribe(listener: (state: T, previous: T) => void): () => void;
}

export function createStore<T extends object>(initial: T): Store<T> {
  let state = initial;
  const listeners = new Set<(state: T, previous: T) => void>();
  return {
    getState: () => state,
    update(patch) {
      let changed = false;
      for (const key of Object.keys(patch) as Array<keyof T>) {
        if (!Object.is(state[key], patch[key])) {
          changed = true;
          break;
        }
      }
      if (!changed) return;
      const previous = state;
      state = { ...state, ...patch };
      for (const listener of [...listeners]) listener(state, previous);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
