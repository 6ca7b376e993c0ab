import type { DecodeFrame } from './frame-decoder.js';
import { decodeFrame, type Jpeg } from './frames-worker.js';

/**
 * The model video's frames as bitmaps, for a short window ahead of the one asked for, so memory
 * stays at a few frames (250 decoded 720×1280 frames would take ~900 MB; a window of 8 is
 * ~29 MB). Frames are added as they are extracted (`add`). `get(i)` answers at once with what is
 * decoded and starts decoding the window. While frame i is still decoding (the index jumped,
 * e.g. after the main thread was blocked) or not yet extracted, it answers the last frame it
 * gave or the nearest earlier one that exists, so a view shows the avatar instead of nothing.
 */
export class FrameBank {
  readonly count: number;
  readonly #blobs: Array<Jpeg | undefined>;
  readonly #decoded = new Map<number, ImageBitmap>();
  readonly #pending = new Set<number>();
  readonly #window: number;
  #closed = false;
  #last = -1;
  #added = 0;
  /** The frame `get` answered last (always one of `#decoded`, which keeps it open). */
  #shown: ImageBitmap | undefined;

  /** Decodes a frame (in the page's decoding Worker where there is one); released at close(). */
  readonly #decoder: { decode: DecodeFrame; release(): void } | undefined;

  constructor(count: number, frames: Jpeg[] = [], window = 8, decoder?: { decode: DecodeFrame; release(): void }) {
    this.count = count;
    this.#decoder = decoder;
    this.#blobs = frames.slice(0, count);
    this.#added = this.#blobs.filter(Boolean).length;
    this.#window = window;
  }

  /** The size frames are decoded at (0×0: their own). */
  #size: [number, number] = [0, 0];

  /**
   * Decodes frames from now on at `width`×`height` (0×0: their own size): views shown smaller
   * than the video need less (see `decodeFrame`). Decoded frames of another size are dropped,
   * except the one on screen until the next replaces it.
   */
  setSize(width: number, height: number): void {
    if (width === this.#size[0] && height === this.#size[1]) return;
    this.#size = [width, height];
    // The one on screen stays open (in `#shown`) until a frame of the new size replaces it.
    for (const b of this.#decoded.values()) if (b !== this.#shown) b.close();
    this.#decoded.clear();
    this.#last = -1;
  }

  /** The frames' JPEGs (by index; undefined: not extracted yet). */
  get jpegs(): ReadonlyArray<Jpeg | undefined> {
    return this.#blobs;
  }

  /** Frames available so far. */
  get added(): number {
    return this.#added;
  }

  /** Frame `index` can now be shown. */
  add(index: number, blob: Jpeg): void {
    if (index < 0 || index >= this.count || this.#blobs[index]) return;
    this.#blobs[index] = blob;
    this.#added++;
    // A stand-in may be shown for it: the next get() looks again.
    this.#last = -1;
  }

  /** Frame `index` as a bitmap already decoded (the extraction's preview of its first frame); the bank owns it now. */
  preview(index: number, bitmap: ImageBitmap): void {
    if (this.#closed || index < 0 || index >= this.count || this.#decoded.has(index)) return bitmap.close();
    this.#decoded.set(index, bitmap);
    this.#last = -1;
  }

  /** The nearest frame at or before `i` (cyclically) that exists, or -1. */
  #available(i: number): number {
    for (let k = 0; k < this.count; k++) {
      const j = (i - k + this.count) % this.count;
      if (this.#blobs[j] || this.#decoded.has(j)) return j;
    }
    return -1;
  }

  /** The decoded frame `index % count` if ready, else the last one answered; decodes it and the next few. */
  get(index: number): ImageBitmap | undefined {
    if (!this.count) return undefined;
    const i = this.#available(((index % this.count) + this.count) % this.count);
    if (i < 0) return undefined;
    const bitmap = this.#decoded.get(i);
    // Asked every animation frame by every view: the window moves only when the index or the
    // frame answered does.
    if (i !== this.#last || !bitmap || bitmap !== this.#shown) {
      this.#last = i;
      const previous = this.#shown;
      this.#shown = bitmap ?? this.#shown;
      // A frame of another size, kept only while it was on screen.
      if (previous && previous !== this.#shown && !this.#holds(previous)) previous.close();
      const keep = new Set<number>();
      for (let k = 0; k < this.#window; k++) keep.add((i + k) % this.count);
      for (const [j, b] of this.#decoded) {
        // The frame answered last stays: it is what the views show until the next is ready.
        if (!keep.has(j) && b !== this.#shown) {
          b.close();
          this.#decoded.delete(j);
        }
      }
      // The frame asked for first, the rest of the window once it is in (decodes run in parallel
      // and would slow it down). After the first frame shown, the window waits for a task after
      // this animation frame: it starts the decoding Worker (~5–15 ms of main thread), which
      // would hold up that frame's drawing.
      const ahead = () => {
        for (const j of keep) this.#decode(j);
      };
      if (!bitmap) this.#decode(i);
      else if (previous) ahead();
      else setTimeout(ahead, 0);
    }
    return this.#shown;
  }

  #decode(i: number): void {
    const blob = this.#blobs[i];
    if (!blob || this.#decoded.has(i) || this.#pending.has(i) || this.#closed) return;
    this.#pending.add(i);
    const [width, height] = this.#size;
    // The first frame on screen is decoded here, at once: the Worker may still be loading.
    const decoder = this.#shown ? this.#decoder : undefined;
    (decoder?.decode(blob, width, height) ?? decodeFrame(blob, width, height)).then(
      (bitmap) => {
        this.#pending.delete(i);
        // Closed, or decoded at a size no longer wanted.
        if (this.#closed || width !== this.#size[0] || height !== this.#size[1]) bitmap.close();
        else this.#decoded.set(i, bitmap);
      },
      () => this.#pending.delete(i),
    );
  }

  #holds(bitmap: ImageBitmap): boolean {
    for (const b of this.#decoded.values()) if (b === bitmap) return true;
    return false;
  }

  close(): void {
    if (!this.#closed) this.#decoder?.release();
    this.#closed = true;
    if (this.#shown && !this.#holds(this.#shown)) this.#shown.close();
    for (const b of this.#decoded.values()) b.close();
    this.#decoded.clear();
    this.#shown = undefined;
  }
}
