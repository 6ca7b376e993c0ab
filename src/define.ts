import { LipsyncBufferViewElement, LipsyncCanvasElement, LipsyncSessionElement } from './index.js';

for (const [tag, ctor] of [
  ['lipsync-session', LipsyncSessionElement],
  ['lipsync-canvas', LipsyncCanvasElement],
  ['lipsync-buffer-view', LipsyncBufferViewElement],
] as const) {
  if (!customElements.get(tag)) customElements.define(tag, ctor);
}
