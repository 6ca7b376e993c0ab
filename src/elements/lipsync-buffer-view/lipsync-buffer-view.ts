import { LitElement, html } from 'lit';
import { SlotState } from '../../core/ring.js';
import { FrameLoop } from '../frame-loop.js';
import { SessionController } from '../session-controller.js';
import { styles } from './lipsync-buffer-view.styles.js';

const ROWS = 8;
const COLOUR_VARS = ['--_empty', '--_audio', '--_sent', '--_complete', '--_failed'] as const;

/** `#rrggbb`, `rgb(r, g, b)` or any colour the browser parses → little-endian RGBA as one uint32. */
function packColour(css: string, probe: CanvasRenderingContext2D): number {
  probe.clearRect(0, 0, 1, 1);
  probe.fillStyle = '#000';
  probe.fillStyle = css.trim() || '#000';
  probe.fillRect(0, 0, 1, 1);
  const [r, g, b, a] = probe.getImageData(0, 0, 1, 1).data;
  return ((a! << 24) | (b! << 16) | (g! << 8) | r!) >>> 0;
}

/**
 * The session's ring of audio slots as a colour-coded timeline, with marks for the capture
 * head and the playhead, and the session's figures beside it.
 *
 * @summary The ring buffer as a timeline.
 * @tag lipsync-buffer-view
 *
 * @attr {string} session - Id of a `<lipsync-session>` elsewhere in the page, when not inside one.
 *
 * @csspart bar - The `<canvas>` holding the timeline.
 * @csspart metrics - The line of figures under it.
 * @cssprop [--lipsync-slot-empty=#9e9e9e] - Colour of an empty slot.
 * @cssprop [--lipsync-slot-audio=#43a047] - Colour of a slot with audio only.
 * @cssprop [--lipsync-slot-sent=#fdd835] - Colour of a slot whose request is in flight.
 * @cssprop [--lipsync-slot-complete=#1e88e5] - Colour of a slot with its AI frame.
 * @cssprop [--lipsync-slot-failed=#e53935] - Colour of a failed slot.
 * @cssprop [--lipsync-mark-capture=#fff] - Colour of the capture-head mark.
 * @cssprop [--lipsync-mark-playhead=#000] - Colour of the playhead mark.
 * @cssprop [--lipsync-buffer-height=24px] - Height of the timeline.
 * @cssprop [--lipsync-metrics-color=inherit] - Colour of the figures.
 */
export class LipsyncBufferViewElement extends LitElement {
  static override styles = styles;
  static override properties = {
    session: {},
  };

  /** Id of a `<lipsync-session>` elsewhere in the page. */
  session: string | null = null;

  readonly #session = new SessionController(this, () => this.session);
  /** Slot colours, then the capture and playhead marks, as packed RGBA. */
  #colours: Uint32Array | undefined;
  #image: ImageData | undefined;
  #lastStates: Uint8Array | undefined;
  #lastHeads = '';

  constructor() {
    super();
    new FrameLoop(this, () => this.#draw());
  }

  protected override render() {
    const snapshot = this.#session.snapshot;
    const slots = snapshot?.config.bufferSlots ?? 0;
    return html`<canvas part="bar" role="img" aria-label=${`Audio buffer of ${slots} slots`} width=${Math.max(1, slots)} height=${ROWS}></canvas>
      <div part="metrics" aria-live="off">${snapshot?.metricsLine ?? ''}</div>`;
  }

  protected override updated(): void {
    // Colours may have changed with the update (style, theme): read them again.
    this.#colours = undefined;
    this.#lastHeads = '';
  }

  #readColours(): Uint32Array {
    const style = getComputedStyle(this);
    const probe = new OffscreenCanvas(1, 1).getContext('2d', { willReadFrequently: true }) as unknown as CanvasRenderingContext2D;
    return Uint32Array.from([...COLOUR_VARS, '--_capture', '--_playhead'].map((v) => packColour(style.getPropertyValue(v), probe)));
  }

  /** Redraws when the ring changed; one pass over the slots into an ImageData. */
  #draw(): void {
    const session = this.#session.session;
    const canvas = this.renderRoot.querySelector('canvas');
    const ctx = canvas?.getContext('2d');
    if (!session || !canvas || !ctx) return;
    const ring = session.ring();
    const size = canvas.width;
    const heads = ring ? `${ring.captureHead}|${ring.playhead}|${ring.size}` : `none|${size}`;
    if (heads === this.#lastHeads && (!ring || (this.#lastStates && this.#lastStates.length === ring.states.length && this.#lastStates.every((v, i) => v === ring.states[i])))) return;
    this.#lastHeads = heads;
    this.#lastStates = ring ? ring.states.slice() : undefined;
    const colours = (this.#colours ??= this.#readColours());
    if (!this.#image || this.#image.width !== size) this.#image = new ImageData(size, ROWS);
    const pixels = new Uint32Array(this.#image.data.buffer);
    for (let slot = 0; slot < size; slot++) {
      const colour = colours[ring && ring.size === size ? ring.states[slot]! : SlotState.empty]!;
      for (let row = 0; row < ROWS; row++) pixels[row * size + slot] = colour;
    }
    if (ring && ring.size === size) {
      const mark = (frameId: number, colour: number) => {
        if (frameId < 0) return;
        const slot = frameId % size;
        for (let row = 0; row < ROWS; row++) pixels[row * size + slot] = colour;
      };
      mark(ring.captureHead, colours[5]!);
      mark(ring.playhead, colours[6]!);
    }
    ctx.putImageData(this.#image, 0, 0);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lipsync-buffer-view': LipsyncBufferViewElement;
  }
}
