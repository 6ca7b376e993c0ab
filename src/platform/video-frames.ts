import { openDB, type IDBPDatabase } from 'idb';
import { LipsyncError, reason } from '../core/errors.js';
import { FPS } from '../core/protocol.js';
import { writePoster } from './poster.js';
import { moduleWorkerUrl } from './script-urls.js';
import { FRAMES_WORKER_FILE, frameCacheWriter, type CacheMeta, type CacheTarget, type ExtractJob, type ExtractMessage, type Jpeg } from './frames-worker.js';

/** The model video as frames: JPEGs at 25 fps, frame i showing t = (i + 0.5) / 25 s. */
export interface VideoFrames {
  width: number;
  height: number;
  frames: Jpeg[];
  /** How the frames were made: read from the cache, or extracted in the Worker with WebCodecs, or with `<video>` (where no Worker starts, or WebCodecs cannot decode the video). */
  via: 'cache' | 'worker' | 'video';
}

export interface LoadOptions {
  url: string;
  maxFrames: number;
  cache: 'indexeddb' | 'none';
  /** The cache's name: one database per model. */
  model: string;
  onProgress(loaded: number, total: number): void;
  /** IndexedDB could not be used; the frames stay in memory. */
  onCacheUnavailable(message: string): void;
  signal: AbortSignal;
  /** The size and frame count, known before the first frame. */
  onStart?(width: number, height: number, total: number): void;
  /**
   * The first frame extracted, decoded, before its JPEG is ready; the callee owns (closes) it.
   * Without a callee it is closed at once.
   */
  onPreview?(index: number, bitmap: ImageBitmap): void;
  /** Frame `index` can be shown (extracted frames come in index order; cached ones first to last). */
  onFrame?(index: number, jpeg: Jpeg): void;
  /**
   * At most this many frames a second, asked again as extraction goes (0: as fast as it goes).
   * A session paces extraction while it runs, so that it keeps the CPU.
   */
  extractionFps?: () => number;
  /** Where the frames Worker loads from (a same-origin URL, for a CSP without `blob:`); default inline. */
  workerUrl?: string | null;
  /** Extraction path: WebCodecs where it can decode the video, else `<video>` (`auto`); or one forced (tests, benchmarks). */
  path?: 'auto' | 'webcodecs' | 'video';
  /** The version of the poster (see `readPoster`) kept for this video: frame 0 of another version replaces it. */
  posterKey?: string;
}

const JPEG_QUALITY = 0.8;
/** How often the Worker is told the pace (`LoadOptions.extractionFps`). */
const PACE_POLL_MS = 200;
/** Cached frames read per IndexedDB read after frame 0. */
const CACHE_READ_BATCH = 25;
const STEP_TIMEOUT_MS = 15_000;

function failed(url: string, why: string): LipsyncError {
  return new LipsyncError('video-load-failed', `model video ${url}: ${why}`, false);
}

function once(target: EventTarget, ok: string, signal: AbortSignal, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (fn: () => void) => {
      clearTimeout(timer);
      target.removeEventListener(ok, onOk);
      target.removeEventListener('error', onError);
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onOk = () => done(resolve);
    const onError = () => done(() => reject(new Error(`${what} failed`)));
    const onAbort = () => done(() => reject(new DOMException('aborted', 'AbortError')));
    const timer = setTimeout(() => done(() => reject(new Error(`${what} timed out`))), STEP_TIMEOUT_MS);
    target.addEventListener(ok, onOk);
    target.addEventListener('error', onError);
    signal.addEventListener('abort', onAbort);
  });
}

/** The frames Worker, started early (it loads while the video downloads), and whether it failed to load meanwhile. */
interface WorkerHandle {
  worker: Worker;
  failed: boolean;
}

function startWorker(url: string | undefined): WorkerHandle | undefined {
  try {
    if (typeof Worker === 'undefined' || !url) return undefined;
    const handle = { worker: new Worker(url, { type: 'module' }), failed: false };
    // A Worker that cannot load (a CSP without blob:, a bad override URL) says so here, maybe
    // before the job is posted.
    handle.worker.addEventListener('error', (e) => {
      e.preventDefault();
      handle.failed = true;
    });
    return handle;
  } catch {
    return undefined;
  }
}

/** Without a word from the Worker for this long, it is given up and the main thread takes over. */
const WORKER_SILENCE_MS = 15_000;

/** Receives extracted frames as they come: `start` once, then `frame` per frame. */
interface Sink {
  start(width: number, height: number, total: number): void;
  preview(index: number, bitmap: ImageBitmap): void;
  frame(index: number, blob: Blob): void;
}

/**
 * Extracts frames with WebCodecs in the frames Worker (decode, draw to an OffscreenCanvas,
 * JPEG-encode; nothing of it on the main thread). Resolves undefined where no Worker starts, or
 * WebCodecs, the container or the codec is not supported, so the caller falls back to `<video>`.
 */
async function extractWithWebCodecs(
  bytes: ArrayBuffer,
  o: LoadOptions,
  held: () => number[],
  sink: Sink,
  worker: WorkerHandle | undefined,
  urls: string[],
  cache: CacheTarget | undefined,
): Promise<'worker' | undefined> {
  const job: ExtractJob = { bytes, maxFrames: o.maxFrames, have: held(), fps: FPS, quality: JPEG_QUALITY, maxFps: o.extractionFps?.() ?? 0, ...(cache ? { cache } : {}) };
  let result: Extract<ExtractMessage, { type: 'end' }> | undefined;
  let started = false;
  const receive = (m: ExtractMessage) => {
    started ||= m.type === 'start';
    if (m.type === 'start') sink.start(m.width, m.height, m.total);
    else if (m.type === 'frame') sink.frame(m.index, m.blob);
    else if (m.type === 'preview') sink.preview(m.index, m.bitmap);
    else if (m.type === 'cache-error') o.onCacheUnavailable(m.message);
    else result = m;
  };
  // The Worker started early (from the file next to the bundle, or the page's own URL for it).
  for (let w = worker; w; w = startWorker(urls.shift())) {
    if (!w.failed) await runIn(w.worker);
    if (o.signal.aborted) throw new DOMException('aborted', 'AbortError');
    if (result) return finish(result, 'worker');
    // It ran and died: `<video>` extracts what is still missing.
    if (started) break;
  }
  // Runs the job in `w` until it ends, fails or goes silent.
  function runIn(w: Worker): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let pacer: ReturnType<typeof setInterval> | undefined;
      const stop = () => {
        clearTimeout(timer);
        clearInterval(pacer);
        w.terminate();
        o.signal.removeEventListener('abort', stop);
        resolve();
      };
      const watch = () => {
        clearTimeout(timer);
        timer = setTimeout(stop, WORKER_SILENCE_MS);
      };
      o.signal.addEventListener('abort', stop);
      let fps = job.maxFps;
      pacer = setInterval(() => {
        const now = o.extractionFps?.() ?? 0;
        if (now !== fps) w.postMessage({ type: 'pace', fps: (fps = now) });
      }, PACE_POLL_MS);
      w.onmessage = (e: MessageEvent<ExtractMessage>) => {
        watch();
        receive(e.data);
        if (e.data.type === 'end') stop();
      };
      // It failed to load or died.
      w.onerror = stop;
      watch();
      w.postMessage(job);
    });
  }

  // No Worker started (a CSP that forbids it, its file missing), or it died: `<video>` extracts
  // what is still missing (the frames a Worker wrote stay).
  return undefined;

  function finish(end: Extract<ExtractMessage, { type: 'end' }> | undefined, via: 'worker') {
    if (end?.unsupported) return undefined;
    if (end?.error) throw new Error(end.error);
    return via;
  }
}

/**
 * Extracts frames with a `<video>` element from a Blob URL (so seeking never depends on the
 * server honouring HTTP Range): seek to each frame's middle, draw, encode as JPEG. On the main
 * thread: the fallback where WebCodecs cannot decode the video.
 */
async function extractWithVideoElement(blob: Blob, o: LoadOptions, held: () => number[], sink: Sink): Promise<void> {
  const url = URL.createObjectURL(blob);
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.preload = 'auto';
  try {
    video.src = url;
    await once(video, 'loadeddata', o.signal, 'decoding');
    const { videoWidth: width, videoHeight: height, duration } = video;
    if (!width || !height || !(duration > 0)) throw new Error('no video track');
    const total = Math.max(1, Math.min(o.maxFrames, Math.floor(duration * FPS)));
    sink.start(width, height, total);
    const have = new Set(held());
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d')!;
    for (let i = 0; i < total; i++) {
      if (have.has(i)) continue;
      // 'seeked' can come before the new frame reaches the element's picture; where the browser
      // says when a frame is presented, wait for that too (bounded: an identical frame may not
      // count as new).
      const presented =
        'requestVideoFrameCallback' in video
          ? new Promise<void>((resolve) => {
              const handle = video.requestVideoFrameCallback(() => resolve());
              setTimeout(() => {
                video.cancelVideoFrameCallback(handle);
                resolve();
              }, 250);
            })
          : undefined;
      video.currentTime = (i + 0.5) / FPS;
      await once(video, 'seeked', o.signal, `seek to frame ${i}`);
      await presented;
      ctx.drawImage(video, 0, 0);
      sink.frame(i, await canvas.convertToBlob({ type: 'image/jpeg', quality: JPEG_QUALITY }));
    }
  } finally {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
  }
}

type CacheDb = IDBPDatabase<unknown>;

/** The IndexedDB database that caches `model`'s frames. */
const cacheName = (model: string) => `lipsync-elements:${model}`;

async function openCache(model: string): Promise<CacheDb> {
  return openDB(cacheName(model), 1, {
    upgrade(db) {
      db.createObjectStore('meta');
      db.createObjectStore('frames');
    },
  });
}


/** What identifies one version of the video: URL plus ETag, Last-Modified or size. */
function versionKey(url: string, headers: Headers, maxFrames: number): string {
  const version = headers.get('etag') ?? headers.get('last-modified') ?? headers.get('content-length') ?? '';
  return `${new URL(url, location.href).href}|${version}|${maxFrames}`;
}

/**
 * The model video's frames, each offered (`onFrame`) as soon as it can be shown: read from the
 * IndexedDB cache when it holds this version of the video (frame 0 first, then the rest in one
 * read), else downloaded and extracted, each frame written to the cache as it comes — so a
 * reload mid-extraction keeps what was done and extracts only the rest. Resolves with every
 * frame; throws `video-load-failed`.
 */
export async function loadVideoFrames(o: LoadOptions): Promise<VideoFrames> {
  const frames: Jpeg[] = [];
  let width = 0;
  let height = 0;
  let total = 0;
  let loaded = 0;
  let db: CacheDb | undefined;
  /** The cache's meta record matches this video: its frames are this video's. */
  let cacheKey: string | undefined;
  let cacheValid = false;
  const sink: Sink = {
    start(w, h, t) {
      if (total) return;
      [width, height, total] = [w, h, t];
      o.onStart?.(w, h, t);
    },
    preview(i, bitmap) {
      if (o.onPreview && !frames[i] && i < total) o.onPreview(i, bitmap);
      else bitmap.close();
    },
    frame(i, blob) {
      if (take(i, blob)) o.onProgress(loaded, total);
    },
  };
  /** Frame `i` is here, extracted or read from the cache (false: it was already, or is out of range). */
  const take = (i: number, jpeg: Jpeg) => {
    if (frames[i] || i >= total) return false;
    // Frame 0 of a version the poster is not: it becomes the poster.
    if (!i && cacheKey && cacheKey !== o.posterKey && o.cache === 'indexeddb') void writePoster(o.model, cacheKey, width, height, jpeg);
    frames[i] = jpeg;
    loaded++;
    o.onFrame?.(i, jpeg);
    return true;
  };
  const held = () => frames.flatMap((f, i) => (f ? [i] : []));
  let via: VideoFrames['via'] = 'cache';
  const finish = (): VideoFrames => {
    db?.close();
    return { width, height, frames, via };
  };

  let worker: WorkerHandle | undefined;
  // The cache's version check (HEAD) runs while IndexedDB opens.
  // Its (empty) body is read, so the request completes instead of being cancelled unread.
  const head =
    o.cache === 'indexeddb'
      ? fetch(o.url, { method: 'HEAD', signal: o.signal }).then(
          (r) => r.arrayBuffer().then(() => r, () => r),
          () => undefined,
        )
      : undefined;
  if (o.cache === 'indexeddb') {
    try {
      db = await openCache(o.model);
    } catch (err) {
      o.onCacheUnavailable(`IndexedDB unavailable (${reason(err)}); frames kept in memory`);
    }
  }
  try {
    // Frame 0 is read with the meta record, while the version check is still out: it is offered
    // only once that check says the cache holds this video.
    const [meta, first]: [CacheMeta | undefined, unknown] = db ? await Promise.all([db.get('meta', 'meta'), db.get('frames', 0).catch(() => undefined)]) : [undefined, undefined];
    if (db && meta) {
      const h = await head;
      if (h?.ok) {
        cacheKey = versionKey(o.url, h.headers, o.maxFrames);
        if (meta.key === cacheKey && meta.count > 0) {
          cacheValid = true;
          // Frame 0 first (the avatar is on screen at once), then the rest a few at a time. The
          // cached frames (frame 0 as its bytes, the rest as Blobs: see `frameCacheWriter`) are
          // then the frames: only what is missing is extracted below.
          // One progress event per read, not per frame: nothing is being extracted.
          const fromCache = (i: number, blob: unknown) => (blob instanceof Blob || blob instanceof ArrayBuffer) && Number.isInteger(i) && i >= 0 && take(i, blob);
          sink.start(meta.width, meta.height, meta.count);
          if (first) {
            fromCache(0, first);
            o.onProgress(loaded, total);
          }
          // The rest in index order, a few at a time (one big read would hold up the main thread
          // while frame 0 is decoded and drawn).
          for (let from = 1; from < total; from += CACHE_READ_BATCH) {
            const range = IDBKeyRange.bound(from, Math.min(total, from + CACHE_READ_BATCH) - 1);
            const tx = db.transaction('frames');
            const [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range)]);
            keys.forEach((k, n) => typeof k === 'number' && fromCache(k, values[n]));
          }
          if (loaded > (first ? 1 : 0)) o.onProgress(loaded, total);
          if (loaded === total) return finish();
        }
      }
    }

    const path = o.path ?? 'auto';
    // The extracting Worker: a module Worker, from the page's URL for it or the file next to the bundle.
    const urls = [o.workerUrl || moduleWorkerUrl(`./${FRAMES_WORKER_FILE}`)];
    if (path !== 'video') worker = startWorker(urls.shift());
    let response: Response;
    try {
      response = await fetch(o.url, { signal: o.signal });
    } catch (err) {
      if (o.signal.aborted) throw err;
      throw failed(o.url, `cannot be fetched (${reason(err)})`);
    }
    if (!response.ok) throw failed(o.url, `HTTP ${response.status}`);
    cacheKey ??= versionKey(o.url, response.headers, o.maxFrames);
    // Frames are cached as they are extracted, by whoever extracts them (the Worker, mostly).
    const cache: CacheTarget | undefined = db ? { db: cacheName(o.model), key: cacheKey, reset: !cacheValid } : undefined;
    try {
      const blob = await response.blob();
      const fast = path === 'video' ? undefined : await extractWithWebCodecs(await blob.arrayBuffer(), o, held, sink, worker, urls, cache);
      if (!fast && path === 'webcodecs') throw new Error('WebCodecs cannot decode it');
      via = fast ?? 'video';
      if (!fast) {
        const writer = cache && frameCacheWriter(held().length ? { ...cache, reset: false } : cache, o.onCacheUnavailable);
        try {
          await extractWithVideoElement(blob, o, held, {
            ...sink,
            start: (w, h, t) => (sink.start(w, h, t), writer?.start(w, h, t)),
            frame: (i, b) => (sink.frame(i, b), writer?.put(i, b)),
          });
        } finally {
          await writer?.done();
        }
      }
      if (loaded < total) throw new Error(`${total - loaded} of ${total} frames missing`);
    } catch (err) {
      if (o.signal.aborted || err instanceof LipsyncError) throw err;
      throw failed(o.url, `does not decode (${reason(err)})`);
    }
    return finish();
  } catch (err) {
    db?.close();
    throw err;
  } finally {
    worker?.worker.terminate();
  }
}

/** Deletes the cached frames of `model`, and its poster. */
export async function clearVideoCache(model: string): Promise<void> {
  void writePoster(model);
  const db = await openCache(model);
  try {
    const tx = db.transaction(['meta', 'frames'], 'readwrite');
    await Promise.all([tx.objectStore('meta').clear(), tx.objectStore('frames').clear(), tx.done]);
  } finally {
    db.close();
  }
}

export { FrameBank } from './frame-bank.js';
