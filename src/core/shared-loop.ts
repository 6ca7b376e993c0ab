/**
 * Many callbacks driven by one repeating scheduler (an animation frame, an interval): one task a
 * round for all of them instead of one each. Every main-thread task has a cost of its own beyond
 * its callback; 4 sessions had 4 animation-frame loops and 4 engine intervals. The scheduler runs
 * only while a callback is added. A callback that throws does not stop the others; its error is
 * reported as uncaught.
 */
export class SharedLoop<T> {
  readonly #calls = new Set<(arg: T) => void>();
  readonly #start: (run: (arg: T) => void) => () => void;
  #stop: (() => void) | undefined;

  /** `start(run)` begins calling `run` every round and returns what ends it. */
  constructor(start: (run: (arg: T) => void) => () => void) {
    this.#start = start;
  }

  /** How many callbacks run each round. */
  get size(): number {
    return this.#calls.size;
  }

  /** Runs `call` every round from now on (once, however often added). */
  add(call: (arg: T) => void): void {
    this.#calls.add(call);
    this.#stop ??= this.#start((arg) => this.#run(arg));
  }

  /** No more rounds for `call`; the scheduler stops with the last one. */
  delete(call: (arg: T) => void): void {
    this.#calls.delete(call);
    if (this.#calls.size) return;
    this.#stop?.();
    this.#stop = undefined;
  }

  #run(arg: T): void {
    for (const call of this.#calls) {
      try {
        call(arg);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
