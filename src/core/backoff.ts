/**
 * Delay before reconnect attempt `attempt` (0 = the first): `baseMs`·2^attempt, capped at
 * `capMs`, times a jitter factor in [0.8, 1.2) so that many clients do not retry in step.
 */
export function reconnectDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp * (0.8 + 0.4 * random()));
}

/** The cap used by the session: 30 s, or the base interval when that is longer. */
export function reconnectCap(baseMs: number): number {
  return Math.max(baseMs, 30_000);
}
