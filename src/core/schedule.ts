/** Entries kept for looking up the slot at a time. */
const HISTORY = 256;

/**
 * When each recent slot plays (audio clock, ms) and how long it sounds: what the playout decided,
 * and the same sent over to the network Worker where it draws the views. Pure.
 */
export class Schedule {
  readonly #at = new Float64Array(HISTORY).fill(NaN);
  readonly #id = new Float64Array(HISTORY).fill(-1);
  readonly #duration = new Float64Array(HISTORY);
  /** The last slot scheduled (or passed over); -1 before any. */
  last = -1;
  /** Entries recorded since the last `take()`, flat: id, at, duration. */
  #fresh: number[] = [];

  /** Slot `id` plays at `at` for `duration` ms; `at` -Infinity: passed over, NaN: not to be played (dropped). */
  record(id: number, at: number, duration: number): void {
    const i = id % HISTORY;
    this.#id[i] = id;
    this.#at[i] = at;
    this.#duration[i] = duration;
    this.last = Math.max(this.last, id);
    this.#fresh.push(id, at, duration);
  }

  /** Records what `take()` of another schedule gave. */
  add(entries: ArrayLike<number>): void {
    for (let n = 0; n + 2 < entries.length; n += 3) this.record(entries[n]!, entries[n + 1]!, entries[n + 2]!);
  }

  /** The entries recorded since the last call (flat: id, at, duration). */
  take(): number[] {
    const fresh = this.#fresh;
    this.#fresh = [];
    return fresh;
  }

  /** When slot `id` plays, NaN when not scheduled (yet, any more, or too long ago), -Infinity when passed over. */
  playAt(id: number): number {
    const i = id % HISTORY;
    return this.#id[i] === id ? this.#at[i]! : NaN;
  }

  /**
   * The slot at the speaker at `t`: the last one started by then (-1 before any), and whether it
   * is still sounding — not when the delay grew after it (inserted silence).
   */
  speakerAt(t: number): { slot: number; sounding: boolean } {
    for (let id = this.last, n = 0; id >= 0 && n < HISTORY; id--, n++) {
      const at = this.playAt(id);
      if (at <= t && at > -Infinity) return { slot: id, sounding: t < at + this.#duration[id % HISTORY]! };
    }
    return { slot: -1, sounding: false };
  }
}
