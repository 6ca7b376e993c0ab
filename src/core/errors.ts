import type { ViewMessageKey } from './messages.js';

/** Every error code a `lipsync-error` event can carry (SPEC §2). */
export const ERROR_CODES = [
  'mic-denied',
  'mic-unavailable',
  'audio-load-failed',
  'video-load-failed',
  'server-unreachable',
  'protocol-error',
  'inference-error',
  'inference-timeout',
  'cache-unavailable',
  'invalid-attribute',
] as const;

export type LipsyncErrorCode = (typeof ERROR_CODES)[number];

/** Why a message broke SPEC §1. Stable strings: tests and servers match on them. */
export type ProtocolErrorReason =
  | 'not-binary'
  | 'short-header'
  | 'length-mismatch'
  | 'too-large'
  | 'reserved-nonzero'
  | 'bad-model-name'
  | 'bad-audio-length'
  | 'bad-audio'
  | 'zip-corrupt'
  | 'zip-crc'
  | 'zip64'
  | 'zip-encrypted'
  | 'zip-method'
  | 'missing-image'
  | 'missing-box'
  | 'bad-image'
  | 'bad-box'
  | 'box-out-of-frame'
  | 'unknown-id'
  | 'stale-id';

/** An error that carries one of the public error codes. */
export class LipsyncError extends Error {
  readonly code: LipsyncErrorCode;
  readonly recoverable: boolean;
  /** What the views say about it, where that is more precise than the code (see VIEW_MESSAGES). */
  readonly view: ViewMessageKey | undefined;

  constructor(code: LipsyncErrorCode, message: string, recoverable = true, view?: ViewMessageKey) {
    super(message);
    this.name = 'LipsyncError';
    this.code = code;
    this.recoverable = recoverable;
    this.view = view;
  }
}

/**
 * The one exception the codec throws: a message broke a rule of SPEC §1.
 * `reason` says which; the public code is always `protocol-error`.
 */
export class ProtocolError extends LipsyncError {
  readonly reason: ProtocolErrorReason;

  constructor(reason: ProtocolErrorReason, message: string) {
    super('protocol-error', `${reason}: ${message}`, true);
    this.name = 'ProtocolError';
    this.reason = reason;
  }
}

/** The message of anything thrown, for error reports. */
export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
