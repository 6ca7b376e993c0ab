import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    font: 12px/1.4 system-ui, sans-serif;
    --_empty: var(--lipsync-slot-empty, #9e9e9e);
    --_audio: var(--lipsync-slot-audio, #43a047);
    --_sent: var(--lipsync-slot-sent, #fdd835);
    --_complete: var(--lipsync-slot-complete, #1e88e5);
    --_failed: var(--lipsync-slot-failed, #e53935);
    --_capture: var(--lipsync-mark-capture, #fff);
    --_playhead: var(--lipsync-mark-playhead, #000);
  }
  :host([hidden]) {
    display: none;
  }
  canvas {
    display: block;
    width: 100%;
    height: var(--lipsync-buffer-height, 24px);
    image-rendering: pixelated;
  }
  [part='metrics'] {
    margin-top: 0.25em;
    color: var(--lipsync-metrics-color, inherit);
    font-variant-numeric: tabular-nums;
  }
`;
