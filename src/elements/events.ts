import type { ErrorReport } from '../core/error-folding.js';
import type { SessionState } from '../context/session-context.js';
import type { SessionMetrics } from '../platform/session-engine.js';

/** `detail` of each event the elements fire (SPEC §2). */
export interface LipsyncEventDetails {
  'lipsync-state-change': { state: SessionState; previous: SessionState };
  'lipsync-connection-change': { connected: boolean; attempt: number };
  'lipsync-frame': { frameId: number; latency: number };
  'lipsync-speaking-change': { speaking: boolean };
  'lipsync-metrics': SessionMetrics;
  'lipsync-progress': { loaded: number; total: number };
  'lipsync-error': ErrorReport;
}

export type LipsyncEventName = keyof LipsyncEventDetails;

/** Fires a bubbling, composed `CustomEvent` with a typed detail. */
export function emit<K extends LipsyncEventName>(target: EventTarget, name: K, detail: LipsyncEventDetails[K]): void {
  target.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
}

declare global {
  interface HTMLElementEventMap {
    'lipsync-state-change': CustomEvent<LipsyncEventDetails['lipsync-state-change']>;
    'lipsync-connection-change': CustomEvent<LipsyncEventDetails['lipsync-connection-change']>;
    'lipsync-frame': CustomEvent<LipsyncEventDetails['lipsync-frame']>;
    'lipsync-speaking-change': CustomEvent<LipsyncEventDetails['lipsync-speaking-change']>;
    'lipsync-metrics': CustomEvent<LipsyncEventDetails['lipsync-metrics']>;
    'lipsync-progress': CustomEvent<LipsyncEventDetails['lipsync-progress']>;
    'lipsync-error': CustomEvent<LipsyncEventDetails['lipsync-error']>;
  }
}
