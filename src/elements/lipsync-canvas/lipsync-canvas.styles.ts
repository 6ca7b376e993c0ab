import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    position: relative;
    aspect-ratio: var(--_aspect, 720 / 1280);
    background: var(--lipsync-canvas-background, #000);
  }
  :host([hidden]) {
    display: none;
  }
  canvas {
    display: block;
    width: 100%;
    height: 100%;
    object-fit: contain;
  }
`;
