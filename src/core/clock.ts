/**
 * Conversions between the AudioContext clock and performance.now(), from one output timestamp
 * pair (`AudioContext.getOutputTimestamp()`): the audio at the speaker vs the screen.
 */

/** Converts a context time to performance.now() time, from one output timestamp pair. */
export function contextToPerformance(contextTime: number, stamp: { contextTime: number; performanceTime: number }): number {
  return stamp.performanceTime + (contextTime - stamp.contextTime) * 1000;
}

/** Converts a performance.now() time to context time at the speaker. */
export function performanceToContext(performanceTime: number, stamp: { contextTime: number; performanceTime: number }): number {
  return stamp.contextTime + (performanceTime - stamp.performanceTime) / 1000;
}
