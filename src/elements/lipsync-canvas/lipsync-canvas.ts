import { LitElement, html } from 'lit';
import { property } from 'lit/decorators.js';
import { SessionController } from '../session-controller.js';
import { styles } from './lipsync-canvas.styles.js';

export type CanvasView = 'composite' | 'inference';

/**
 * One view of a session: the model video with the AI mouth (`composite`) or the AI image alone
 * (`inference`), in a canvas of the model video's intrinsic size, scaled to fit.
 *
 * @summary A view of the avatar.
 * @tag lipsync-canvas
 *
 * @attr {"composite"|"inference"} view - What to draw. Default `composite`.
 * @attr {boolean} debug - Bounding box and coordinates overlay.
 * @attr {string} session - Id of a `<lipsync-session>` elsewhere in the page, when not inside one.
 *
 * @csspart canvas - The `<canvas>` the view draws into.
 * @cssprop [--lipsync-canvas-background=#000] - Colour around the letterboxed video.
 */
export class LipsyncCanvasElement extends LitElement {
  static override styles = styles;

  /** What to draw: `composite` (video + AI mouth) or `inference` (AI image alone). */
  @property({ attribute: 'view' }) view: CanvasView = 'composite';
  /** Bounding box and coordinates overlay. */
  @property({ attribute: 'debug', type: Boolean }) debug = false;
  /** Id of a `<lipsync-session>` elsewhere in the page. */
  @property({ attribute: 'session' }) session: string | null = null;

  readonly #session = new SessionController(this);

  /** The canvas in the shadow root. */
  get canvas(): HTMLCanvasElement | null {
    return this.renderRoot.querySelector('canvas');
  }

  protected override willUpdate(): void {
    const snapshot = this.#session.snapshot;
    this.style.setProperty('--_aspect', `${snapshot?.videoWidth ?? 720} / ${snapshot?.videoHeight ?? 1280}`);
  }

  protected override render() {
    const snapshot = this.#session.snapshot;
    const width = snapshot?.videoWidth ?? 720;
    const height = snapshot?.videoHeight ?? 1280;
    const label = snapshot
      ? `Avatar ${this.view === 'inference' ? 'inference view' : 'video'} of model "${snapshot.config.model}", ${snapshot.state}`
      : 'Avatar video, not attached to a session';
    return html`<canvas part="canvas" role="img" aria-label=${label} width=${width} height=${height}></canvas>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lipsync-canvas': LipsyncCanvasElement;
  }
}
