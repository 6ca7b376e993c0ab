import { decodeFrame, framesWorkerUrls, type DecodeAnswer, type DecodeRequest, type Jpeg } from './frames-worker.js';

/** Turns a base frame (its JPEG) into a bitmap to draw, at `width`×`height` where it can (0: its own size). */
export type DecodeFrame = (jpeg: Jpeg, width: number, height: number) => Promise<ImageBitmap>;

/** A decode not answered in this long is given up (the bank asks again when it needs the frame). */
const DECODE_TIMEOUT_MS = 10_000;

interface Pending {
  blob: Jpeg;
  width: number;
  height: number;
  resolve(bitmap: ImageBitmap): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Decodes base frames in a Worker (the frames Worker's code, kept running), at the size the views
 * show them where the platform can (`decodeFrame`), and hands the bitmaps over by transfer: on the main thread, `createImageBitmap` on a 720×1280 JPEG and `close()` of
 * the result cost ~1.3–2 ms a frame, a decode in the Worker ~0.3 ms (bench/decode-cost.mjs);
 * views show 25 a second per session. One Worker serves every session of the page; it is
 * started at the first decode asked of it and ended when the last user lets go. Where no Worker
 * loads (a CSP that forbids both the blob: and the file URL), frames are decoded on the main
 * thread, as before.
 */
class WorkerDecoder {
  #users = 0;
  #worker: Worker | undefined;
  /** URLs still to try, in order; made at the first decode (see `framesWorkerUrls`). */
  #urls: string[] | undefined;
  #override: string | null | undefined;
  #answered = false;
  #broken = false;
  #next = 0;
  readonly #pending = new Map<number, Pending>();

  /** A user (a bank) starts: the Worker loads from `urls` (see `framesWorkerUrls`). */
  retain(override: string | null | undefined): void {
    if (this.#users++ > 0) return;
    this.#broken = typeof Worker === 'undefined';
    this.#override = override;
    this.#urls = undefined;
    this.#answered = false;
    // The Worker starts at the first decode asked of it, not now: a bank decodes its first frame
    // on the main thread, and starting a Worker (~5 ms of main thread) would delay that frame.
  }

  /** Where frames are decoded now: in the Worker (once it has answered), on the main thread, or not known yet. */
  get via(): 'worker' | 'main' | 'starting' {
    return this.#broken ? 'main' : this.#answered ? 'worker' : 'starting';
  }

  release(): void {
    if (--this.#users > 0) return;
    this.#users = 0;
    this.#worker?.terminate();
    this.#worker = undefined;
    for (const [id, p] of this.#pending) this.#settle(id, p, () => p.reject(new Error('decoder released')));
  }

  readonly decode: DecodeFrame = (blob, width, height) => {
    const worker = this.#users > 0 && !this.#broken ? (this.#worker ?? this.#start()) : undefined;
    if (!worker) return decodeFrame(blob, width, height);
    return new Promise<ImageBitmap>((resolve, reject) => {
      const id = this.#next++;
      const timer = setTimeout(() => {
        const p = this.#pending.get(id);
        if (p) this.#settle(id, p, () => reject(new Error('frame decode timed out')));
      }, DECODE_TIMEOUT_MS);
      this.#pending.set(id, { blob, width, height, resolve, reject, timer });
      worker.postMessage({ type: 'decode', id, blob, width, height } satisfies DecodeRequest);
    });
  };

  #settle(id: number, p: Pending, how: () => void): void {
    clearTimeout(p.timer);
    this.#pending.delete(id);
    how();
  }

  /**
   * A port to the decoding Worker for another Worker (the network Worker, which draws the views
   * and decodes their frames there); undefined where frames are decoded on the main thread.
   */
  port(): MessagePort | undefined {
    const worker = this.#users > 0 && !this.#broken ? (this.#worker ?? this.#start()) : undefined;
    if (!worker) return undefined;
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ type: 'port', port: port2 }, [port2]);
    return port1;
  }

  #start(): Worker | undefined {
    const url = (this.#urls ??= framesWorkerUrls(this.#override)).shift();
    if (!url) {
      this.#broken = true;
      return undefined;
    }
    let worker: Worker;
    try {
      worker = new Worker(url);
    } catch {
      return this.#start();
    }
    worker.onmessage = (e: MessageEvent<DecodeAnswer>) => {
      this.#answered = true;
      const p = this.#pending.get(e.data.id);
      const { bitmap, error } = e.data;
      if (!p) return bitmap?.close();
      this.#settle(e.data.id, p, () => (bitmap ? p.resolve(bitmap) : p.reject(new Error(error ?? 'frame decode failed'))));
    };
    // A Worker that cannot load (a CSP without blob:, a missing file) says so here: the next URL
    // is tried, and what was asked of this one is decoded on the main thread meanwhile.
    worker.onerror = (e) => {
      e.preventDefault();
      if (this.#worker !== worker) return;
      worker.terminate();
      this.#worker = undefined;
      if (this.#answered) this.#broken = true;
      for (const [id, p] of this.#pending) this.#settle(id, p, () => decodeFrame(p.blob, p.width, p.height).then(p.resolve, p.reject));
    };
    this.#worker = worker;
    return worker;
  }
}

const shared = new WorkerDecoder();

/** A port to the page's decoding Worker (see `WorkerDecoder.port`). */
export const decoderPort = (): MessagePort | undefined => shared.port();

/**
 * The page's frame decoder, for one user (a `FrameBank`) until `release()`: base frames are
 * decoded in a Worker where one loads (from `override`, else inline, else the file next to the
 * bundle), else on the main thread.
 */
export function frameDecoder(override?: string | null): { decode: DecodeFrame; release(): void; readonly via: 'worker' | 'main' | 'starting' } {
  shared.retain(override);
  let released = false;
  return {
    decode: shared.decode,
    get via() {
      return shared.via;
    },
    release: () => {
      if (released) return;
      released = true;
      shared.release();
    },
  };
}
