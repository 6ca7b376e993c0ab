import { LitElement, html, nothing } from 'lit';
import type { FrameView } from '../../context/session-context.js';
import { FrameLoop } from '../frame-loop.js';
import { SessionController } from '../session-controller.js';
import { styles } from './lipsync-canvas.styles.js';

export type CanvasView = 'composite' | 'inference';

interface Surface {
  g: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;
  show?: ImageBitmapRenderingContext;
  /** Something was drawn (until then the canvas is left untouched). */
  drawn?: boolean;
}

/**
 * One view of a session: the model video with the AI mouth (`composite`) or the AI image alone
 * (`inference`), in a canvas of the model video's intrinsic size, scaled to fit (letterboxed).
 *
 * @summary A view of the avatar.
 * @tag lipsync-canvas
 *
 * @attr {"composite"|"inference"} view - What to draw. Default `composite`.
 * @attr {boolean} debug - Bounding box, coordinates, frame id and time over the picture.
 * @attr {string} session - Id of a `<lipsync-session>` elsewhere in the page, when not inside one.
 *
 * @csspart canvas - The `<canvas>` the view draws into.
 * @csspart start - The start button shown before the session runs (at the bottom, clear of the face).
 * @csspart message - What keeps the avatar from working, in words (`role="status"`); empty and
 *   taking no room when all is well.
 * @cssprop [--lipsync-canvas-background=#000] - Colour around the letterboxed video.
 * @cssprop [--lipsync-start-background=rgb(0 0 0 / 0.65)] - Background of the start button.
 * @cssprop [--lipsync-start-color=#fff] - Text colour of the start button.
 * @cssprop [--lipsync-max-height=80vh] - Tallest the view gets when the page sets no size (the aspect is kept).
 * @cssprop [--lipsync-message-background=rgb(0 0 0 / 0.75)] - Background of the message.
 * @cssprop [--lipsync-message-color=#fff] - Text colour of the message.
 */
export class LipsyncCanvasElement extends LitElement {
  static override styles = styles;
  static override properties = {
    view: {},
    debug: { type: Boolean },
    session: {},
  };

  /** What to draw: `composite` (video + AI mouth) or `inference` (AI image alone). */
  view: CanvasView = 'composite';
  /** Bounding box and coordinates overlay. */
  debug = false;
  /** Id of a `<lipsync-session>` elsewhere in the page. */
  session: string | null = null;

  readonly #session = new SessionController(this, () => this.session);
  #last = { frameId: NaN, base: undefined as ImageBitmap | undefined, ai: undefined as unknown, debug: false, scale: 0 };

  /** How big the video is shown (device pixels), and the session last told. */
  #shownSize: [number, number] = [0, 0];
  #toldSize = { session: undefined as unknown, size: '' };
  readonly #resize = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver((entries) => this.#measured(entries[entries.length - 1]!));

  constructor() {
    super();
    new FrameLoop(this, (now) => this.#draw(now));
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const canvas = this.canvas;
    if (canvas) this.#resize?.observe(canvas);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#resize?.disconnect();
    this.#shownSize = [0, 0];
    this.#tellSize();
  }

  protected override firstUpdated(): void {
    const canvas = this.canvas!;
    this.#resize?.observe(canvas);
    // Made now, while the frames load, not at the first draw (its first use costs 2–8 ms here).
    this.#makeSurface(canvas);
  }

  protected override updated(): void {
    // The canvas may have taken the video's size: the shown size follows.
    this.#fit();
  }

  /** The canvas box in device pixels → the video's size in it (letterboxed). */
  #measured(entry: ResizeObserverEntry): void {
    const device = entry.devicePixelContentBoxSize?.[0];
    const dpr = globalThis.devicePixelRatio || 1;
    this.#box = [device ? device.inlineSize : entry.contentRect.width * dpr, device ? device.blockSize : entry.contentRect.height * dpr];
    this.#fit();
  }

  /** The canvas's box in device pixels, as last measured. */
  #box: [number, number] = [0, 0];

  #fit(): void {
    const [boxW, boxH] = this.#box;
    const canvas = this.canvas;
    const fit = canvas && canvas.width && canvas.height ? Math.min(boxW / canvas.width, boxH / canvas.height) : 0;
    this.#shownSize = canvas ? [Math.round(canvas.width * fit), Math.round(canvas.height * fit)] : [0, 0];
    this.#tellSize();
  }

  /** Tells the session how big this view shows base frames (the inference view shows none). */
  #tellSize(): void {
    const session = this.#session.session;
    const [w, h] = this.isConnected && this.view === 'composite' ? this.#shownSize : [0, 0];
    const size = `${w}x${h}`;
    if (session === this.#toldSize.session && size === this.#toldSize.size) return;
    // A view moved to another session leaves the first.
    if (this.#toldSize.session && this.#toldSize.session !== session) (this.#toldSize.session as typeof session)?.viewSize(this, 0, 0);
    this.#toldSize = { session, size };
    session?.viewSize(this, w, h);
  }

  /** The canvas in the shadow root. */
  get canvas(): HTMLCanvasElement | null {
    return this.renderRoot.querySelector('canvas');
  }

  protected override willUpdate(): void {
    const snapshot = this.#session.snapshot;
    const w = snapshot?.videoWidth ?? 720;
    const h = snapshot?.videoHeight ?? 1280;
    this.style.setProperty('--_aspect', `${w} / ${h}`);
    this.style.setProperty('--_ratio', String(w / h));
    if (snapshot) this.#session.session?.requestVideo();
  }

  protected override render() {
    const snapshot = this.#session.snapshot;
    const width = snapshot?.videoWidth ?? 720;
    const height = snapshot?.videoHeight ?? 1280;
    const label = snapshot
      ? `Avatar ${this.view === 'inference' ? 'inference view' : 'video'} of model "${snapshot.config.model}", ${snapshot.state}`
      : 'Avatar video, not attached to a session';
    const canStart = snapshot && (snapshot.state === 'idle' || snapshot.state === 'ready') && this.view === 'composite';
    // The message region is always there (a live region announces changes, not its creation);
    // empty, it takes no room.
    return html`<canvas part="canvas" role="img" aria-label=${label} width=${width} height=${height}></canvas>${canStart
        ? html`<button part="start" type="button" aria-label=${`Start the avatar of model "${snapshot.config.model}"`} @click=${() => void this.#session.session?.start()}>
            Start
          </button>`
        : nothing}<p part="message" role="status">${snapshot?.message ?? ''}</p>`;
  }

  /**
   * Where a picture is composed (made at the first render; the canvas is blank until the first draw): an
   * OffscreenCanvas at the size of the base frame, which is decoded at the size the view shows it
   * (a half or a quarter of the video where that is enough), handed whole to the canvas's
   * `bitmaprenderer` context — the page then commits a bitmap of the shown size, not the 720×1280
   * one (4 views at 25 fps: 0.9 against 2.2 ms of main thread per animation frame). Without
   * OffscreenCanvas, the canvas's own 2D context at full size.
   */
  #surface: Surface | undefined;

  #makeSurface(canvas: HTMLCanvasElement): Surface | undefined {
    // A canvas whose 2D context a page took already keeps it.
    const show = typeof OffscreenCanvas === 'undefined' ? null : canvas.getContext('bitmaprenderer');
    const g = show ? new OffscreenCanvas(1, 1).getContext('2d') : canvas.getContext('2d');
    return (this.#surface = g ? (show ? { g, show } : { g }) : undefined);
  }

  #draw(now: number): void {
    const session = this.#session.session;
    const canvas = this.canvas;
    if (!session || !canvas) return;
    this.#tellSize();
    const frame = session.frameAt(now);
    // The session's `debug` puts the overlay on its composite views.
    const debug = this.debug || (session.getState().config.debug && this.view === 'composite');
    const { width, height } = canvas;
    // Drawn at the size of the base frame (decoded no smaller than shown: drawn 1:1), else at the
    // shown size; never bigger than the video.
    const base = this.view === 'composite' ? frame.base : undefined;
    const scale = Math.min(1, (base?.width ?? this.#shownSize[0]) / width) || 1;
    const last = this.#last;
    if (frame.frameId === last.frameId && frame.base === last.base && frame.ai === last.ai && debug === last.debug && scale === last.scale) return;
    const changedSlot = frame.frameId !== last.frameId;
    this.#last = { frameId: frame.frameId, base: frame.base, ai: frame.ai, debug, scale };
    // Until the first frame (or the session runs) the canvas stays blank, untouched: a first
    // clear would cost a canvas commit on the main thread just before that frame is wanted.
    if (!frame.base && !frame.ai && !debug && frame.frameId < 0 && !this.#surface?.drawn) return;
    const surface = this.#surface ?? this.#makeSurface(canvas);
    if (!surface) return;
    surface.drawn = true;
    const g = surface.g;
    if (surface.show) {
      // Blank after each hand-over; resized (which clears it too) only when the shown size changes.
      const [w, h] = [Math.round(width * scale), Math.round(height * scale)];
      if (g.canvas.width !== w || g.canvas.height !== h) [g.canvas.width, g.canvas.height] = [w, h];
      g.setTransform(scale, 0, 0, scale, 0, 0);
    } else g.clearRect(0, 0, width, height);
    // In video coordinates from here on.
    if (base) g.drawImage(base, 0, 0, width, height);
    if (frame.ai) {
      const { source: s, target: t } = frame.ai.placement;
      g.drawImage(frame.ai.bitmap, s.x, s.y, s.width, s.height, t.x, t.y, t.width, t.height);
    }
    if (debug) this.#drawDebug(g, frame);
    surface.show?.transferFromImageBitmap((g.canvas as OffscreenCanvas).transferToImageBitmap());
    if (changedSlot && frame.frameId >= 0) session.presented(frame.frameId, now, Boolean(frame.ai));
  }

  #drawDebug(ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D, frame: FrameView): void {
    ctx.save();
    ctx.font = '24px monospace';
    ctx.lineWidth = 3;
    ctx.strokeStyle = ctx.fillStyle = '#f00';
    if (frame.ai) {
      const [x1, y1, x2, y2] = frame.ai.box;
      ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
      ctx.fillText(`[${x1.toFixed(0)}, ${y1.toFixed(0)}, ${x2.toFixed(0)}, ${y2.toFixed(0)}]`, x1, Math.max(24, y1 - 8));
    }
    ctx.fillText(`frame ${frame.frameId} · base ${frame.baseIndex} · ${((frame.frameId * 40) / 1000).toFixed(2)} s`, 16, 36);
    ctx.restore();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lipsync-canvas': LipsyncCanvasElement;
  }
}
