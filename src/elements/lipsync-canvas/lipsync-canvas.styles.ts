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
  button {
    position: absolute;
    left: 50%;
    top: 50%;
    translate: -50% -50%;
    font: inherit;
    font-size: 1.1em;
    padding: 0.6em 1.4em;
    border: 0;
    border-radius: 999px;
    background: var(--lipsync-start-background, rgb(0 0 0 / 0.65));
    color: var(--lipsync-start-color, #fff);
    cursor: pointer;
  }
`;
