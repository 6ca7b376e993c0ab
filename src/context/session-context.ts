import { createContext } from '@lit/context';
import type { SessionConfig } from '../core/config.js';
import type { Box, Placement } from '../core/frame-patch.js';

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
  /** Video frames extracted so far, and in all (0 of 0 before loading starts). */
  readonly videoLoaded: number;
  readonly videoTotal: number;
  /** Figures shown beside the buffer view, refreshed once a second while running. */
  readonly metricsLine: string;
  /** What keeps the avatar from working, in words for the page's visitor ('' when all is well; see core/messages.ts). */
  readonly message: string;
}

/** An AI frame as views draw it. */
export interface AiFrameView {
  readonly bitmap: ImageBitmap;
  readonly placement: Placement;
  readonly box: Box;
}

/** What a view draws at one instant (per-frame data: pulled, never pushed through Lit). */
export interface FrameView {
  /** The slot whose audio is at the speaker (-1 before running). */
  readonly frameId: number;
  /** Index of the base video frame for that slot. */
  readonly baseIndex: number;
  readonly base: ImageBitmap | undefined;
  readonly ai: AiFrameView | undefined;
}

/** The ring as the buffer view reads it. */
export interface RingView {
  readonly states: Uint8Array;
  readonly size: number;
  readonly captureHead: number;
  readonly playhead: number;
}

/**
 * What `<lipsync-session>` provides to its views. Created once per session element and never
 * replaced, so consumers subscribe once.
 */
export interface LipsyncSessionContext {
  getState(): SessionSnapshot;
  /** Calls `listener` on every change of the snapshot; returns the function that stops it. */
  subscribe(listener: (state: SessionSnapshot, previous: SessionSnapshot) => void): () => void;
  /** Starts the session (a view's start affordance). */
  start(): Promise<void>;
  /** A view needs the model video: loads it once (per video) if nobody has yet. */
  requestVideo(): void;
  /** What to draw at `now` (performance.now() time); without the base frame with `base` false (nothing is decoded for it). */
  frameAt(now: number, base?: boolean): FrameView;
  /** A view put slot `frameId` on screen at `now` (for sync metrics). */
  presented(frameId: number, now: number, withAiFrame: boolean): void;
  /** The ring, while running. */
  ring(): RingView | undefined;
  /**
   * How big `view` shows the video now, in device pixels (0×0: not at all, or gone): base frames
   * are decoded no bigger than the biggest view needs.
   */
  viewSize(view: object, width: number, height: number): void;
  /**
   * While the session runs with a network Worker, the views are drawn there: an object that stays
   * the same as long as that lasts (undefined: a view draws itself, with `frameAt`).
   */
  drawer(): object | undefined;
  /** Hands `view` to the drawer: its canvas the first time, what it shows; `kind` null: no longer. */
  drawIn(view: object, kind: 'composite' | 'inference' | null, debug: boolean, canvas?: OffscreenCanvas): void;
}

export const sessionContext = createContext<LipsyncSessionContext>(Symbol('lipsync-session'));
