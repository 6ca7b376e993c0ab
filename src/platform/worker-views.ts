import type { AiFrameView } from '../context/session-context.js';
import { placePatch, type Box } from '../core/frame-patch.js';
import type { ImageInfo } from '../core/image-info.js';
import { Schedule } from '../core/schedule.js';
import { paint } from './compose.js';
import { FrameBank } from './frame-bank.js';
import type { DecodeFrame } from './frame-decoder.js';
import { decodeFrame, type DecodeAnswer, type DecodeRequest, type Jpeg } from './frames-worker.js';

/** What a view shows: the model video with the AI mouth, or the AI image alone. */
export type ViewKind = 'composite' | 'inference';

/** What the session tells the network Worker about the views it draws. */
export type ToWorkerViews =
  /** A view to draw (its canvas the first time), what it shows; `kind` null: no longer. */
  | { type: 'view'; id: number; canvas?: OffscreenCanvas; kind: ViewKind | null; debug: boolean }
  /** The model video: its size, frame count, the size frames are decoded at (0×0: their own) and frames not sent before. */
  | { type: 'video'; width: number; height: number; count: number; size: [number, number]; frames: Array<[number, Jpeg]>; decoder?: MessagePort | undefined }
  /** Schedule entries (`Schedule.take()`) and an output timestamp: context time (s), the same instant in ms since the epoch. */
  | { type: 'play'; entries: number[]; stamp: [number, number] };

/** Patches kept at most (about ten seconds ahead at 25 a second; more means nobody draws them). */
const MAX_PATCHES = 256;
/** How often what was put on screen is reported (ms). */
const REPORT_MS = 100;

interface View {
  g: OffscreenCanvasRenderingContext2D;
  kind: ViewKind;
  debug: boolean;
  /** What it shows now (slot, base, patch, debug): drawn again only when that changes. */
  last: unknown[];
}

interface Patch {
  bitmap: ImageBitmap;
  info: ImageInfo;
  box: Box;
  /** When it arrived, ms since the epoch. */
  at: number;
  placed?: AiFrameView | null;
}

/**
 * The views of a session drawn in its network Worker, on the Worker's own animation frames: the
 * picture keeps pace with the audio however long the page's main thread is blocked. From the
 * main thread it gets the schedule the playout made (which slot is heard when, handed over up to
 * 340 ms ahead, as the audio is) and the model video's JPEGs, which it decodes itself; the mouth
 * patches it keeps as they arrive. It reports the slots put on screen (`report`, flat: slot, ms
 * since the epoch, 1 with its patch / 0), at most every 100 ms.
 */
export class WorkerViews {
  readonly #views = new Map<number, View>();
  readonly #schedule = new Schedule();
  /** Context time (ms) and the same instant in ms since the epoch, from the last output timestamp. */
  #stamp: [number, number] | undefined;
  #speakerT = -Infinity;
  #lastShown = -1;
  readonly #patches = new Map<number, Patch>();
  #bank: FrameBank | undefined;
  #video = { width: 0, height: 0, size: [0, 0] as [number, number] };
  #presented: number[] = [];
  /** The last slot reported on screen. */
  #shownSlot = -1;
  #reported = 0;
  #frame: number | undefined;
  readonly #report: (presented: number[]) => void;

  constructor(report: (presented: number[]) => void) {
    this.#report = report;
  }

  /** Whether it draws any view (then patches are worth keeping). */
  get drawing(): boolean {
    return this.#views.size > 0;
  }

  take(m: ToWorkerViews): void {
    if (m.type === 'view') {
      // A 2D context: with `bitmaprenderer` (what the main thread uses) a Worker's frames went
      // through the page's main thread here, and stopped with it (1 animation frame in 300 ms
      // blocks against 18).
      const g = m.canvas?.getContext('2d') ?? this.#views.get(m.id)?.g;
      if (!m.kind || !g) this.#views.delete(m.id);
      else this.#views.set(m.id, { g, kind: m.kind, debug: m.debug, last: [] });
      this.#loop();
    } else if (m.type === 'video') {
      const v = this.#video;
      if (!this.#bank || this.#bank.count !== m.count || v.width !== m.width || v.height !== m.height) {
        this.#bank?.close();
        const decode = this.#decoder(m.decoder);
        this.#bank = new FrameBank(m.count, [], 8, { decode, release: () => {} });
      }
      this.#video = { width: m.width, height: m.height, size: m.size };
      this.#bank.setSize(...m.size);
      for (const [i, jpeg] of m.frames) this.#bank.add(i, jpeg);
      for (const p of this.#patches.values()) p.placed = undefined;
    } else {
      this.#schedule.add(m.entries);
      this.#stamp = [m.stamp[0] * 1000, m.stamp[1]];
    }
  }

  /**
   * How base frames are decoded: in the page's decoding Worker through `port` (another thread:
   * this one reads the server's answers and draws), else here, two at a time (a window of 8 at
   * once held the answers up at the start). A port that does not answer in 2 s is given up.
   */
  #decoder(port: MessagePort | undefined): DecodeFrame {
    const lanes = [Promise.resolve(), Promise.resolve()];
    let lane = 0;
    const here: DecodeFrame = (jpeg, w, h) => {
      const bitmap = lanes[(lane ^= 1)]!.then(() => decodeFrame(jpeg, w, h));
      lanes[lane] = bitmap.then(
        () => {},
        () => {},
      );
      return bitmap;
    };
    if (!port) return here;
    const asked = new Map<number, [(b: ImageBitmap) => void, (e: Error) => void]>();
    let next = 0;
    let dead = false;
    port.onmessage = (e: MessageEvent<DecodeAnswer>) => {
      const [resolve, reject] = asked.get(e.data.id) ?? [];
      asked.delete(e.data.id);
      if (e.data.bitmap) resolve ? resolve(e.data.bitmap) : e.data.bitmap.close();
      else reject?.(new Error(e.data.error));
    };
    return (jpeg, w, h) =>
      dead
        ? here(jpeg, w, h)
        : new Promise<ImageBitmap>((resolve, reject) => {
            const id = next++;
            asked.set(id, [resolve, reject]);
            port.postMessage({ type: 'decode', id, blob: jpeg, width: w, height: h } satisfies DecodeRequest);
            setTimeout(() => {
              if (!asked.delete(id)) return;
              dead = true;
              here(jpeg, w, h).then(resolve, reject);
            }, 2000);
          });
  }

  /** A mouth patch read from the server's answer. */
  patch(frameId: number, p: Omit<Patch, 'placed'>): void {
    this.#patches.get(frameId)?.bitmap.close();
    this.#patches.set(frameId, p);
    for (const id of this.#patches.keys()) if (this.#patches.size > MAX_PATCHES) this.#drop(id);
  }

  close(): void {
    this.#views.clear();
    this.#loop();
    for (const id of this.#patches.keys()) this.#drop(id);
    this.#bank?.close();
    this.#bank = undefined;
  }

  #drop(id: number): void {
    this.#patches.get(id)?.bitmap.close();
    this.#patches.delete(id);
  }

  /** Runs the animation-frame loop while there are views, stops it without. */
  #loop(): void {
    const raf = typeof requestAnimationFrame === 'function';
    if (!this.#views.size) {
      if (this.#frame !== undefined) (raf ? cancelAnimationFrame : clearTimeout)(this.#frame);
      this.#frame = undefined;
    } else if (this.#frame === undefined) {
      const step = (now: number) => {
        this.#frame = raf ? requestAnimationFrame(step) : (setTimeout(() => step(performance.now()), 16) as unknown as number);
        this.#draw(now);
      };
      step(performance.now());
    }
  }

  #draw(now: number): void {
    const epoch = performance.timeOrigin + now;
    const stamp = this.#stamp;
    let frameId = -1;
    let sounding = false;
    if (stamp) {
      // The time at the speaker never goes back (as on the main thread: see SessionEngine.speakerAt).
      this.#speakerT = Math.max(this.#speakerT, stamp[0] + epoch - stamp[1]);
      const speaker = this.#schedule.speakerAt(this.#speakerT);
      frameId = Math.max(this.#lastShown, speaker.slot);
      sounding = speaker.sounding && speaker.slot === frameId;
      this.#lastShown = frameId;
    }
    for (const id of this.#patches.keys()) if (id < frameId - 2) this.#drop(id);
    const bank = this.#bank;
    const baseIndex = bank && frameId >= 0 ? frameId % bank.count : 0;
    const base = bank?.get(baseIndex);
    const ai = sounding && stamp ? this.#placed(frameId, stamp) : undefined;
    const frame = { frameId, baseIndex, base, ai };
    const { width, height, size } = this.#video;
    let drawn = false;
    for (const v of this.#views.values()) {
      const b = v.kind === 'composite' ? base : undefined;
      const last = [frameId, b, ai, v.debug];
      // Nothing to show yet: the canvas stays untouched (the page's own picture is under it).
      if (!width || (!b && !ai && !v.debug && !v.last.length) || last.every((x, i) => x === v.last[i])) continue;
      v.last = last;
      drawn = true;
      // At the size the base frames are decoded at (drawn 1:1), never bigger than the video: the
      // canvas (and the page's copy of it) has that size, the video's aspect.
      const scale = Math.min(1, (b?.width ?? size[0]) / width) || 1;
      const c = v.g.canvas;
      const [w, h] = [Math.round(width * scale), Math.round(height * scale)];
      if (c.width !== w || c.height !== h) [c.width, c.height] = [w, h];
      v.g.setTransform(scale, 0, 0, scale, 0, 0);
      paint({ g: v.g }, width, height, scale, frame, b, v.debug);
    }
    if (drawn && frameId >= 0 && frameId !== this.#shownSlot) this.#presented.push((this.#shownSlot = frameId), epoch, ai ? 1 : 0);
    if (this.#presented.length && epoch - this.#reported >= REPORT_MS) {
      this.#report(this.#presented);
      this.#presented = [];
      this.#reported = epoch;
    }
  }

  /**
   * The patch of slot `id` placed on the video, if it came before its slot began to sound (one
   * that came later was late: the main thread does not draw those either) and its box fits.
   */
  #placed(id: number, stamp: [number, number]): AiFrameView | undefined {
    const p = this.#patches.get(id);
    if (!p || p.at > stamp[1] + this.#schedule.playAt(id) - stamp[0]) return undefined;
    if (p.placed === undefined) {
      try {
        p.placed = { bitmap: p.bitmap, box: p.box, placement: placePatch(p, this.#video.width, this.#video.height) };
      } catch {
        p.placed = null;
      }
    }
    return p.placed ?? undefined;
  }
}
