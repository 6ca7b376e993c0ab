import { LitElement, html } from 'lit';
import { property } from 'lit/decorators.js';
import { SessionController } from '../session-controller.js';
import { styles } from './lipsync-buffer-view.styles.js';

/**
 * The session's ring of audio slots as a colour-coded timeline.
 *
 * @summary The ring buffer as a timeline.
 * @tag lipsync-buffer-view
 *
 * @attr {string} session - Id of a `<lipsync-session>` elsewhere in the page, when not inside one.
 *
 * @csspart bar - The `<canvas>` holding the timeline.
 * @cssprop [--lipsync-slot-empty=#9e9e9e] - Colour of an empty slot.
 * @cssprop [--lipsync-slot-audio=#43a047] - Colour of a slot with audio only.
 * @cssprop [--lipsync-slot-sent=#fdd835] - Colour of a slot whose request is in flight.
 * @cssprop [--lipsync-slot-complete=#1e88e5] - Colour of a slot with its AI frame.
 * @cssprop [--lipsync-slot-failed=#e53935] - Colour of a failed slot.
 * @cssprop [--lipsync-buffer-height=24px] - Height of the timeline.
 */
export class LipsyncBufferViewElement extends LitElement {
  static override styles = styles;

  /** Id of a `<lipsync-session>` elsewhere in the page. */
  @property({ attribute: 'session' }) session: string | null = null;

  readonly #session = new SessionController(this);

  protected override render() {
    const slots = this.#session.snapshot?.config.bufferSlots ?? 0;
    return html`<canvas part="bar" role="img" aria-label=${`Audio buffer of ${slots} slots`} width=${Math.max(1, slots)} height="1"></canvas>`;
  }

  protected override updated(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    // Before the session runs, every slot of the ring is empty.
    ctx.fillStyle = getComputedStyle(this).getPropertyValue('--_empty').trim() || '#9e9e9e';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lipsync-buffer-view': LipsyncBufferViewElement;
  }
}
