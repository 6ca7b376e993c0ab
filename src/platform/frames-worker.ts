import { demuxMp4 } from '../core/mp4.js';
import { scriptUrls } from './script-urls.js';

/** Where extracted frames are cached: the model's IndexedDB database, the video version's key. */
export interface CacheTarget {
  db: string;
  key: string;
  /** The cache holds another version (or nothing): clear it and write this version's meta first. */
  reset: boolean;
}

/** The cache's record of which video version its frames are. */
export interface CacheMeta {
  key: string;
  width: number;
  height: number;
  count: number;
}

export interface FrameCacheWriter {
  start(width: number, height: number, total: number): void;
  put(index: number, blob: Blob): void;
  /** Resolves once everything put is written (or the cache failed). */
  done(): Promise<void>;
}

/**
 * Writes frames to the cache as they come, in as few transactions as keep up (frames arriving
 * during a write go in the next one). Plain IndexedDB and nothing outside its body: it runs in
 * the frames Worker (so writing costs the page's main thread nothing) and, where no Worker
 * starts, on the main thread. The database exists already (the page opened it to read the
 * cache). The first failure is reported once; nothing more is written after it.
 */
export function frameCacheWriter(target: CacheTarget, onError: (message: string) => void): FrameCacheWriter {
  let failed = false;
  let queue: Array<(this: IDBDatabase) => Promise<void>> = [];
  let frames: Array<[number, Blob]> = [];
  let writing: Promise<void> | undefined;
  const opened = new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open(target.db);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const tx = (db: IDBDatabase, stores: string[], fill: (t: IDBTransaction) => void) =>
    new Promise<void>((resolve, reject) => {
      const t = db.transaction(stores, 'readwrite');
      fill(t);
      t.oncomplete = () => resolve();
      t.onerror = t.onabort = () => reject(t.error);
    });
  const run = () => {
    writing ??= (async () => {
      try {
        const db = await opened;
        while (queue.length && !failed) {
          const ops = queue;
          queue = [];
          for (const op of ops) await op.call(db);
        }
      } catch (err) {
        if (!failed) onError(`cache write failed (${String(err)})`);
        failed = true;
      } finally {
        writing = undefined;
      }
    })();
  };
  const enqueue = (op: (this: IDBDatabase) => Promise<void>) => {
    if (failed) return;
    queue.push(op);
    run();
  };
  return {
    start(width, height, count) {
      if (!target.reset) return;
      const meta: CacheMeta = { key: target.key, width, height, count };
      enqueue(function () {
        return tx(this, ['meta', 'frames'], (t) => {
          t.objectStore('frames').clear();
          t.objectStore('meta').put(meta, 'meta');
        });
      });
    },
    put(index, blob) {
      if (frames.push([index, blob]) > 1) return;
      enqueue(async function () {
        const batch = frames;
        frames = [];
        // Frame 0 as its bytes, read back with its record: a Blob's file is read only after
        // (~20–30 ms more before the avatar shows on a second visit, measured here).
        const values = await Promise.all(batch.map(([i, b]) => (i ? b : b.arrayBuffer())));
        return tx(this, ['frames'], (t) => batch.forEach(([i], n) => t.objectStore('frames').put(values[n], i)));
      });
    },
    async done() {
      while (writing) await writing;
      (await opened.catch(() => undefined))?.close();
    },
  };
}

/** What the frames extraction is asked to do. */
export interface ExtractJob {
  bytes: ArrayBuffer;
  /** At most this many frames (from the start). */
  maxFrames: number;
  /** Frame indices already held (a cache filled by an earlier, interrupted visit): not encoded again. */
  have: number[];
  fps: number;
  quality: number;
  /** At most this many frames per second are extracted to begin with (0: as fast as it goes); `pace` messages change it. */
  maxFps: number;
  /** Cache each frame there as it is extracted. */
  cache?: CacheTarget;
}

/** What it reports, in this order: `start` once, `frame` per frame (in index order), `end` once. */
export type ExtractMessage =
  | { type: 'start'; width: number; height: number; total: number }
  | { type: 'frame'; index: number; blob: Blob }
  /** The first frame extracted, as a bitmap, before its JPEG is ready (the avatar at once). */
  | { type: 'preview'; index: number; bitmap: ImageBitmap }
  | { type: 'cache-error'; message: string }
  /** `unsupported`: WebCodecs, the container or the codec is not usable here (the caller falls back). */
  | { type: 'end'; error?: string; unsupported?: boolean };

/**
 * Decodes the MP4 with WebCodecs and encodes the frame showing each (i + 0.5) / fps s as JPEG,
 * reporting each as soon as it is encoded. Runs in the frames Worker and, where no Worker can
 * be started, on the main thread: it refers only to its parameters and the globals a Worker
 * has, so its source text is the Worker's code.
 */
export async function extractFrames(
  demux: typeof demuxMp4,
  cacheWriter: typeof frameCacheWriter,
  job: ExtractJob,
  post: (m: ExtractMessage, transfer?: Transferable[]) => void,
  aborted: () => boolean,
  pace: () => number = () => job.maxFps,
): Promise<void> {
  if (typeof VideoDecoder === 'undefined' || typeof OffscreenCanvas === 'undefined') return post({ type: 'end', unsupported: true, error: 'no WebCodecs' });
  const bytes = new Uint8Array(job.bytes);
  let track;
  try {
    track = demux(bytes);
  } catch (err) {
    return post({ type: 'end', unsupported: true, error: String(err) });
  }
  const config: VideoDecoderConfig = { codec: track.codec, description: track.description, codedWidth: track.width, codedHeight: track.height };
  if (!(await VideoDecoder.isConfigSupported(config)).supported) return post({ type: 'end', unsupported: true, error: `${track.codec} not decodable` });
  const { width, height, timescale, samples } = track;
  const fps = job.fps;
  const end = samples.reduce((m, s) => Math.max(m, s.pts + s.duration), 0) / timescale;
  const total = Math.max(1, Math.min(job.maxFrames, Math.floor(end * fps + 1e-6)));
  post({ type: 'start', width, height, total });
  const cache = job.cache && cacheWriter(job.cache, (message) => post({ type: 'cache-error', message }));
  cache?.start(width, height, total);
  const have = new Set(job.have);
  // Paced (see `pace`): each posted frame moves the time the next may be posted.
  let paced = 0;
  let dueAt = performance.now();
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  // Encoded frames are reported in index order: one finished early waits for those before it.
  const ready = new Map<number, Blob>();
  let next = 0;
  const flushReady = () => {
    for (; next < total; next++) {
      if (have.has(next)) continue;
      const blob = ready.get(next);
      if (!blob) break;
      ready.delete(next);
      posted++;
      cache?.put(next, blob);
      post({ type: 'frame', index: next, blob });
    }
  };
  let encoding = 0;
  let posted = 0;
  let previewed = false;
  let failure: unknown;
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  const decoder = new VideoDecoder({
    output: (frame) => {
      const from = frame.timestamp / 1e6;
      const to = from + (frame.duration ?? 1e6 / fps) / 1e6;
      // Every frame index whose middle time falls in this frame's interval shows this picture.
      for (let i = Math.max(0, Math.ceil(from * fps - 0.5)); i < total && (i + 0.5) / fps < to; i++) {
        if (have.has(i) || ready.has(i) || (i + 0.5) / fps < from) continue;
        ctx.drawImage(frame, 0, 0, width, height);
        encoding++;
        // convertToBlob copies the canvas when called, so the next frame may be drawn at once.
        canvas.convertToBlob({ type: 'image/jpeg', quality: job.quality }).then(
          (blob) => {
            ready.set(i, blob);
            flushReady();
          },
          (err: unknown) => (failure ??= err),
        ).finally(() => {
          encoding--;
          wake();
        });
        if (!previewed) {
          previewed = true;
          // JPEG encoding takes tens of ms: the first frame also goes out as a bitmap at once
          // (the canvas's pixels, already converted from YUV; the canvas is blank after).
          const bitmap = canvas.transferToImageBitmap();
          post({ type: 'preview', index: i, bitmap }, [bitmap]);
        }
      }
      frame.close();
      wake();
    },
    error: (e) => {
      failure ??= e;
      wake();
    },
  });
  decoder.addEventListener('dequeue', wake);
  // Waits for the decoder or an encoder to make progress (bounded: a stalled codec is a failure).
  const progress = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        failure ??= new Error('decoder stalled');
        resolve();
      }, 15_000);
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  try {
    decoder.configure(config);
    const last = (total + 1) / fps;
    for (const s of samples) {
      if (aborted() || failure) break;
      // In decode order; past the last needed frame only a key frame can be skipped safely.
      if (s.key && s.pts / timescale > last) break;
      decoder.decode(new EncodedVideoChunk({ type: s.key ? 'key' : 'delta', timestamp: (s.pts * 1e6) / timescale, duration: (s.duration * 1e6) / timescale, data: bytes.subarray(s.offset, s.offset + s.size) }));
      // Bounded work in flight: a few samples queued and a few canvas copies being encoded
      // (each copy is width × height × 4 bytes).
      while (!failure && (decoder.decodeQueueSize > 4 || encoding > 3)) await progress();
      // Paced while a session runs: ahead of playback, leaving it the CPU (it shares the cores).
      for (; paced < posted; paced++) {
        const fps = pace();
        dueAt = fps > 0 ? Math.max(dueAt, performance.now() - 1000 / fps) + 1000 / fps : performance.now();
      }
      const wait = dueAt - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    if (!failure && !aborted()) await decoder.flush();
  } catch (err) {
    failure ??= err;
  } finally {
    if (decoder.state !== 'closed') decoder.close();
  }
  while (encoding > 0 && !aborted()) await progress();
  flushReady();
  // What was extracted is cached, also when the rest failed (a later visit resumes from it).
  await cache?.done();
  if (aborted()) return post({ type: 'end', error: 'aborted' });
  if (failure) return post({ type: 'end', error: String(failure) });
  if (next < total) return post({ type: 'end', error: `only ${next} of ${total} frames decoded` });
  post({ type: 'end' });
}

/**
 * A base frame's JPEG: a Blob (its bytes in the browser's blob store), or the bytes themselves —
 * frame 0 read from the cache, which is on screen sooner without a blob read (~20–30 ms here).
 */
export type Jpeg = Blob | ArrayBuffer;

/** Asks a frames Worker to decode a frame into a bitmap, off the main thread. */
export interface DecodeRequest {
  type: 'decode';
  id: number;
  blob: Jpeg;
  /** Decoded at this size where the platform can (0: the frame's own). */
  width: number;
  height: number;
}

/**
 * A frame (JPEG) as a bitmap, at `width`×`height` where the platform's `ImageDecoder` can decode
 * at a smaller size — the JPEG decoder then scales in the transform, ~5× less work at half size
 * (bench/decode-cost.mjs: 3.7 against 19.5 ms for 720×1280) — else at its own size. Refers only
 * to globals a Worker has (its source is the Worker's code too).
 */
export async function decodeFrame(jpeg: Jpeg, width: number, height: number): Promise<ImageBitmap> {
  const Decoder = (globalThis as { ImageDecoder?: typeof ImageDecoder }).ImageDecoder;
  if (!Decoder) return createImageBitmap(jpeg instanceof Blob ? jpeg : new Blob([jpeg]));
  // The bytes in one read: a stream would hop through the main thread per chunk when decoding there.
  const data = jpeg instanceof Blob ? await jpeg.arrayBuffer() : jpeg;
  const decoder = new Decoder({ data, type: 'image/jpeg', ...(width && height ? { desiredWidth: width, desiredHeight: height } : {}) });
  try {
    const { image } = await decoder.decode();
    try {
      return await createImageBitmap(image);
    } finally {
      image.close();
    }
  } finally {
    decoder.close();
  }
}

/** Its answer: the bitmap (transferred), or why there is none. */
export interface DecodeAnswer {
  type: 'decoded';
  id: number;
  bitmap?: ImageBitmap;
  error?: string;
}

/**
 * The Worker: either one extraction job, after which it closes, or any number of decode
 * requests (a Worker kept to decode base frames for the views). Without `extract` (the inline
 * Worker), decoding only.
 */
export function workerMain(extract: typeof extractFrames, demux: typeof demuxMp4, cacheWriter: typeof frameCacheWriter, decode: typeof decodeFrame): void {
  const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<unknown>) => void) | null; postMessage(m: ExtractMessage | DecodeAnswer, transfer?: Transferable[]): void; close(): void };
  let fps = 0;
  // Decode requests come here, or on a port given to another Worker (the network Worker, which
  // draws the views); answered where they came from.
  const serve = (to: { postMessage(m: DecodeAnswer, transfer: Transferable[]): void }, m: DecodeRequest | { type: 'port'; port: MessagePort }) => {
    if (m.type === 'port') m.port.onmessage = (e: MessageEvent<DecodeRequest>) => serve(m.port, e.data);
    else {
      const { id } = m;
      decode(m.blob, m.width, m.height).then(
        (bitmap) => to.postMessage({ type: 'decoded', id, bitmap }, [bitmap]),
        (err: unknown) => to.postMessage({ type: 'decoded', id, error: String(err) }, []),
      );
    }
  };
  scope.onmessage = (e) => {
    const m = e.data as ExtractJob | { type: 'pace'; fps: number } | DecodeRequest | { type: 'port'; port: MessagePort };
    if ('type' in m && (m.type === 'decode' || m.type === 'port')) return serve(scope as { postMessage(m: DecodeAnswer, transfer: Transferable[]): void }, m);
    if ('type' in m) {
      fps = m.fps;
      return;
    }
    fps = m.maxFps;
    void extract(demux, cacheWriter, m, (msg, transfer) => scope.postMessage(msg, transfer ?? []), () => false, () => fps).finally(() => scope.close());
  };
}

/**
 * The inline frames Worker's source (a Blob URL): decoding base frames, nothing else. Extraction
 * (the demuxer, WebCodecs, the cache writer) is only in the Worker's file, next to the bundle:
 * it is not in the page's bundle, which it would have taken 2.1 KB gzipped of.
 */
export function framesWorkerSource(): string {
  return `(${workerMain.toString()})(0,0,0,(${decodeFrame.toString()}));`;
}

/** The Worker as a file shipped next to the bundle (`dist/`): extraction and decoding. */
export const FRAMES_WORKER_FILE = 'lipsync-frames-worker.js';

/** Where to load the decoding Worker from, in order (see `scriptUrls`). */
export function framesWorkerUrls(override?: string | null): string[] {
  return scriptUrls(FRAMES_WORKER_FILE, framesWorkerSource, override);
}
