import { CHUNK_MS } from './protocol.js';

/**
 * Playback clock maths. Chunk k is heard at the speaker at context time
 * `t0 + (k·40 ms + delay) / 1000`; the slot heard at context time t is the inverse.
 */
export function heardAt(frameId: number, t0: number, delayMs: number): number {
  return t0 + (frameId * CHUNK_MS + delayMs) / 1000;
}

/** The slot being heard at context time `t` (-1 before chunk 0). */
export function slotHeardAt(t: number, t0: number, delayMs: number): number {
  return Math.max(-1, Math.floor(((t - t0) * 1000 - delayMs) / CHUNK_MS));
}

/** Converts a context time to performance.now() time, from one output timestamp pair. */
export function contextToPerformance(contextTime: number, stamp: { contextTime: number; performanceTime: number }): number {
  return stamp.performanceTime + (contextTime - stamp.contextTime) * 1000;
}

/** Converts a performance.now() time to context time at the speaker. */
export function performanceToContext(performanceTime: number, stamp: { contextTime: number; performanceTime: number }): number {
  return stamp.contextTime + (performanceTime - stamp.performanceTime) / 1000;
}

/**
 * `playback-delay="auto"`: the delay to aim for from the measured p95 latency, plus a margin
 * for decoding and one display refresh, within [minMs, maxMs].
 */
export function autoDelayTarget(p95LatencyMs: number, lateBonusMs: number, minMs = 80, maxMs = 3000): number {
  return Math.min(maxMs, Math.max(minMs, Math.ceil((p95LatencyMs + 60 + lateBonusMs) / 10) * 10));
}

/** One step from `current` towards `target`: grows at once, shrinks by at most 10 % (slack is given back slowly). */
export function stepDelay(current: number, target: number): number {
  if (target >= current) return target;
  return Math.max(target, Math.round(current * 0.9));
}
