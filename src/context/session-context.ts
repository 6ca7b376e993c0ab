import { createContext } from '@lit/context';
import type { SessionConfig } from '../core/config.js';

/** The session's life cycle (SPEC §2). */
export type SessionState = 'idle' | 'loading' | 'ready' | 'running' | 'error';

/** Low-rate state: consumers may re-render on it. */
export interface SessionSnapshot {
  readonly state: SessionState;
  readonly connected: boolean;
  readonly config: SessionConfig;
  /** Intrinsic size of the model video (720×1280 until the video says otherwise). */
  readonly videoWidth: number;
  readonly videoHeight: number;
}

/**
 * What `<lipsync-session>` provides to its views. Created once per session element and never
 * replaced, so consumers subscribe once.
 */
export interface LipsyncSessionContext {
  getState(): SessionSnapshot;
  /** Calls `listener` on every change of the snapshot; returns the function that stops it. */
  subscribe(listener: (state: SessionSnapshot, previous: SessionSnapshot) => void): () => void;
}

export const sessionContext = createContext<LipsyncSessionContext>(Symbol('lipsync-session'));
