import { LitElement, html, nothing } from 'lit';
import type { LipsyncSessionContext } from '../../context/session-context.js';
import { makeSurface, paint, type Surface } from '../../platform/compose.js';
import { FrameLoop } from '../frame-loop.js';
import { SessionController } from '../session-controller.js';
import { styles } from './lipsync-canvas.styles.js';

export type CanvasView = 'composite' | 'inference';

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
 * @csspart canvas - The `<canvas>` the view draws into (while the session's network Worker draws the view, also the canvas it draws in, laid over it).
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
    const canvas = this.#own;
    if (canvas) this.#resize?.observe(canvas);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#leaveWorker();
    this.#resize?.disconnect();
    this.#shownSize = [0, 0];
    this.#tellSize();
  }

  protected override firstUpdated(): void {
    const canvas = this.#own!;
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
    const canvas = this.#own;
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

  /**
   * The canvas that shows the picture: the view's own (the video's intrinsic size), or while the
   * session's network Worker draws the view, the one it draws in, laid over it (`aria-hidden`;
   * its intrinsic size is the size the base frames are decoded at, the video's aspect). The
   * page's copy of a Worker's canvas (what `drawImage` reads) follows the screen by a frame or two.
   */
  get canvas(): HTMLCanvasElement | null {
    return this.#worker?.canvas ?? this.#own;
  }

  get #own(): HTMLCanvasElement | null {
    return this.renderRoot.querySelector('canvas');
  }

  /** Where the session's Worker draws this view: a canvas over the view's own, for that session and drawer. */
  #worker: { canvas: HTMLCanvasElement; session: LipsyncSessionContext; drawer: object; shows: string } | undefined;

  /**
   * Hands the view to the session's Worker while the session has one drawing (true: nothing to
   * draw here): a canvas laid over the view's own, transferred to it. The view's own picture stays
   * under it until the Worker draws, and is what shows again once the session stops.
   */
  #inWorker(session: LipsyncSessionContext, own: HTMLCanvasElement, debug: boolean): boolean {
    const drawer = session.drawer();
    const w = this.#worker;
    const shows = `${this.view} ${debug}`;
    if (w && w.session === session && w.drawer === drawer) {
      if (w.shows !== shows) session.drawIn(this, this.view, debug);
      w.shows = shows;
      return true;
    }
    this.#leaveWorker();
    if (!drawer) return false;
    const canvas = document.createElement('canvas');
    canvas.setAttribute('part', 'canvas');
    canvas.setAttribute('aria-hidden', 'true');
    [canvas.width, canvas.height] = [own.width, own.height];
    own.after(canvas);
    this.#worker = { canvas, session, drawer, shows };
    session.drawIn(this, this.view, debug, canvas.transferControlToOffscreen());
    return true;
  }

  #leaveWorker(): void {
    const w = this.#worker;
    this.#worker = undefined;
    if (!w) return;
    w.canvas.remove();
    if (w.session.drawer() === w.drawer) w.session.drawIn(this, null, false);
    // The view's own picture shows again: drawn anew.
    this.#last.frameId = NaN;
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

  /** Where a picture is composed (made at the first render; the canvas is blank until the first draw): see `makeSurface`. */
  #surface: Surface | undefined;

  #makeSurface(canvas: HTMLCanvasElement): Surface | undefined {
    return (this.#surface = makeSurface(canvas));
  }

  #draw(now: number): void {
    const session = this.#session.session;
    const canvas = this.#own;
    if (!session || !canvas) return this.#leaveWorker();
    this.#tellSize();
    // The session's `debug` puts the overlay on its composite views.
    const debug = this.debug || (session.getState().config.debug && this.view === 'composite');
    if (this.#inWorker(session, canvas, debug)) return;
    const frame = session.frameAt(now);
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
    paint(surface, width, height, scale, frame, base, debug);
    if (changedSlot && frame.frameId >= 0) session.presented(frame.frameId, now, Boolean(frame.ai));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lipsync-canvas': LipsyncCanvasElement;
  }
}
