/** A bounded window of recent values with percentiles (for latency p50/p95 and sync error). */
export class RecentValues {
  readonly #values: Float64Array;
  #count = 0;
  #next = 0;
  /** The values sorted, kept until the next `add` (the playout asks for p95 and p99 at every chunk). */
  #sorted: Float64Array | undefined;

  constructor(capacity = 256) {
    this.#values = new Float64Array(capacity);
  }

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % this.#values.length;
    this.#count = Math.min(this.#count + 1, this.#values.length);
    this.#sorted = undefined;
  }

  get size(): number {
    return this.#count;
  }

  /** The p-th percentile (nearest rank), or 0 with no values. */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const sorted = (this.#sorted ??= this.#values.slice(0, this.#count).sort());
    return sorted[Math.min(this.#count - 1, Math.max(0, Math.ceil((p / 100) * this.#count) - 1))]!;
  }
}

/** Counts events in a sliding one-second window (frames per second). */
export class RateCounter {
  readonly #times: number[] = [];

  add(now: number): void {
    this.#times.push(now);
    this.#trim(now);
  }

  perSecond(now: number): number {
    this.#trim(now);
    return this.#times.length;
  }

  #trim(now: number): void {
    while (this.#times.length && this.#times[0]! <= now - 1000) this.#times.shift();
  }
}

/** RMS level of `samples` in dBFS (-Infinity for digital silence, reported as -100). */
export function levelDb(samples: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  const rms = Math.sqrt(sum / Math.max(1, samples.length));
  return rms > 1e-5 ? 20 * Math.log10(rms) : -100;
}
