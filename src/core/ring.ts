import { CHUNK_SAMPLES } from './protocol.js';

/** The state of one slot of the ring (SPEC §2 colours). */
export const SlotState = {
  empty: 0,
  audio: 1,
  sent: 2,
  complete: 3,
  failed: 4,
} as const;
export type SlotState = (typeof SlotState)[keyof typeof SlotState];

const NO_FRAME = -1;

/**
 * The ring of `size` slots: slot `frameId % size` holds chunk `frameId` (960 samples, its level
 * and state). Memory is allocated once; a slot is reused when a later id lands on it.
 */
export class SlotRing {
  readonly size: number;
  /** Per slot: the frame id it holds, or -1. */
  readonly #frameIds: Float64Array;
  /** Per slot: its state, readable as a whole by views (no copy). */
  readonly states: Uint8Array;
  readonly #samples: Float32Array<ArrayBuffer>;
  readonly #levels: Float32Array;
  /** Highest frame id ever put, or -1. */
  captureHead = NO_FRAME;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`ring size ${size}`);
    this.size = size;
    this.#frameIds = new Float64Array(size).fill(NO_FRAME);
    this.states = new Uint8Array(size);
    this.#samples = new Float32Array(size * CHUNK_SAMPLES);
    this.#levels = new Float32Array(size);
  }

  slotOf(frameId: number): number {
    return frameId % this.size;
  }

  /** Whether the ring still holds `frameId` (its slot has not been reused). */
  has(frameId: number): boolean {
    return frameId >= 0 && this.#frameIds[this.slotOf(frameId)] === frameId;
  }

  /**
   * Stores chunk `frameId`. Returns the id the slot held before if a different one (the caller
   * releases what belonged to it), else -1.
   */
  put(frameId: number, samples: Float32Array, levelDb: number): number {
    const slot = this.slotOf(frameId);
    const evicted = this.#frameIds[slot]!;
    this.#frameIds[slot] = frameId;
    this.states[slot] = SlotState.audio;
    const base = slot * CHUNK_SAMPLES;
    const n = Math.min(samples.length, CHUNK_SAMPLES);
    this.#samples.set(samples.subarray(0, n), base);
    if (n < CHUNK_SAMPLES) this.#samples.fill(0, base + n, base + CHUNK_SAMPLES);
    this.#levels[slot] = levelDb;
    if (frameId > this.captureHead) this.captureHead = frameId;
    return evicted !== frameId ? evicted : NO_FRAME;
  }

  /** The chunk's samples (a view into the ring: copy before keeping). */
  samples(frameId: number): Float32Array<ArrayBuffer> | undefined {
    if (!this.has(frameId)) return undefined;
    const base = this.slotOf(frameId) * CHUNK_SAMPLES;
    return this.#samples.subarray(base, base + CHUNK_SAMPLES);
  }

  level(frameId: number): number | undefined {
    return this.has(frameId) ? this.#levels[this.slotOf(frameId)] : undefined;
  }

  state(frameId: number): SlotState {
    return this.has(frameId) ? (this.states[this.slotOf(frameId)] as SlotState) : SlotState.empty;
  }

  /** Sets the state of `frameId` if the ring still holds it; returns whether it did. */
  setState(frameId: number, state: SlotState): boolean {
    if (!this.has(frameId)) return false;
    this.states[this.slotOf(frameId)] = state;
    return true;
  }

  /** Empties the slot of `frameId`. */
  clear(frameId: number): void {
    if (!this.has(frameId)) return;
    const slot = this.slotOf(frameId);
    this.#frameIds[slot] = NO_FRAME;
    this.states[slot] = SlotState.empty;
  }

  /** Ids held in state `state` within [from, to], oldest first. */
  idsInState(state: SlotState, from: number, to: number): number[] {
    const out: number[] = [];
    const start = Math.max(from, to - this.size + 1, 0);
    for (let id = start; id <= to; id++) if (this.has(id) && this.states[this.slotOf(id)] === state) out.push(id);
    return out;
  }

  /** How many held ids in [from, to] are in one of `states`. */
  count(from: number, to: number, ...states: SlotState[]): number {
    let n = 0;
    const start = Math.max(from, to - this.size + 1, 0);
    for (let id = start; id <= to; id++) if (this.has(id) && states.includes(this.states[this.slotOf(id)] as SlotState)) n++;
    return n;
  }
}
