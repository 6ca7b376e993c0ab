import { css } from 'lit';

export const styles = css`
  /* With no page CSS: as wide as its container allows, never taller than --lipsync-max-height,
     the video's aspect kept. Page CSS on the element (width, height) wins. */
  :host {
    display: block;
    position: relative;
    aspect-ratio: var(--_aspect, 720 / 1280);
    width: min(100%, calc(var(--lipsync-max-height, 80vh) * var(--_ratio, 0.5625)));
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
  /* The canvas the session's network Worker draws in, over the view's own. */
  canvas + canvas {
    position: absolute;
    inset: 0;
  }
  /* At the bottom, clear of the face (a portrait's face is in its upper two thirds). */
  button {
    position: absolute;
    left: 50%;
    bottom: 6%;
    translate: -50% 0;
    font: inherit;
    font-size: 1.1em;
    padding: 0.6em 1.4em;
    border: 0;
    border-radius: 999px;
    background: var(--lipsync-start-background, rgb(0 0 0 / 0.65));
    color: var(--lipsync-start-color, #fff);
    cursor: pointer;
  }
  button:focus-visible {
    outline: 3px solid var(--lipsync-start-color, #fff);
    outline-offset: 2px;
  }
  [part='message'] {
    position: absolute;
    left: 0;
    right: 0;
    top: 0;
    margin: 0;
    padding: 0.6em 0.9em;
    font: inherit;
    font-size: 0.95em;
    line-height: 1.3;
    background: var(--lipsync-message-background, rgb(0 0 0 / 0.75));
    color: var(--lipsync-message-color, #fff);
  }
  [part='message']:empty {
    padding: 0;
    background: none;
  }
`;
