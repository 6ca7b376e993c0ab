// The public API, free of side effects: importing it defines no element (see define.ts).
export { LipsyncSessionElement } from './elements/lipsync-session/lipsync-session.js';
export { LipsyncCanvasElement, type CanvasView } from './elements/lipsync-canvas/lipsync-canvas.js';
export { LipsyncBufferViewElement } from './elements/lipsync-buffer-view/lipsync-buffer-view.js';
export { sessionContext, type LipsyncSessionContext, type SessionSnapshot, type SessionState } from './context/session-context.js';
export type { LipsyncEventDetails, LipsyncEventName } from './elements/events.js';
export type { ErrorReport } from './core/error-folding.js';
export { ERROR_CODES, LipsyncError, ProtocolError, type LipsyncErrorCode, type ProtocolErrorReason } from './core/errors.js';
export * from './core/protocol.js';
export { readFramePatch, placePatch, type Box, type FramePatch, type Placement, type Rect } from './core/frame-patch.js';
export type { SessionConfig, InputMode, CacheMode, PlaybackDelay } from './core/config.js';
