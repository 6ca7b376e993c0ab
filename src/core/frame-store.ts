/**
 * AI frames by frame id, each released (`dispose`) exactly once: when replaced, deleted, passed
 * by the playhead, or when the store is cleared.
 */
export class FrameStore<T> {
  readonly #frames = new Map<number, T>();
  readonly #dispose: (value: T) => void;

  constructor(dispose: (value: T) => void) {
    this.#dispose = dispose;
  }

  get(frameId: number): T | undefined {
    return this.#frames.get(frameId);
  }

  set(frameId: number, value: T): void {
    const old = this.#frames.get(frameId);
    if (old !== undefined && old !== value) this.#dispose(old);
    this.#frames.set(frameId, value);
  }

  delete(frameId: number): void {
    const old = this.#frames.get(frameId);
    if (old === undefined) return;
    this.#frames.delete(frameId);
    this.#dispose(old);
  }

  /** Releases every frame with an id ≤ `frameId`. */
  deleteUpTo(frameId: number): void {
    for (const id of [...this.#frames.keys()]) if (id <= frameId) this.delete(id);
  }

  clear(): void {
    for (const value of this.#frames.values()) this.#dispose(value);
    this.#frames.clear();
  }
}
