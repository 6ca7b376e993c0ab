import { openDB, type IDBPDatabase } from 'idb';
import { LipsyncError, reason } from '../core/errors.js';
import { FPS } from '../core/protocol.js';
import { demuxMp4 } from '../core/mp4.js';

/** The model video as frames: JPEG blobs at 25 fps, frame i showing t = (i + 0.5) / 25 s. */
export interface VideoFrames {
  width: number;
  height: number;
  frames: Blob[];
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
  /** Extraction path: WebCodecs where it can decode the video, else `<video>` (`auto`); or one forced (tests, benchmarks). */
  path?: 'auto' | 'webcodecs' | 'video';
}

const JPEG_QUALITY = 0.8;
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

/**
 * Extracts frames with WebCodecs: demux the MP4, decode every sample up to the last frame
 * needed, and encode the frame showing each (i + 0.5) / 25 s as JPEG. Resolves undefined where
 * WebCodecs, the container or the codec is not supported, so the caller falls back.
 */
async function extractWithWebCodecs(bytes: Uint8Array, o: LoadOptions): Promise<VideoFrames | undefined> {
  if (typeof VideoDecoder === 'undefined' || typeof OffscreenCanvas === 'undefined') return undefined;
  let track;
  try {
    track = demuxMp4(bytes);
  } catch {
    return undefined;
  }
  const config: VideoDecoderConfig = { codec: track.codec, description: track.description, codedWidth: track.width, codedHeight: track.height };
  if (!(await VideoDecoder.isConfigSupported(config)).supported) return undefined;
  const { width, height, timescale, samples } = track;
  const end = samples.reduce((m, s) => Math.max(m, s.pts + s.duration), 0) / timescale;
  const total = Math.max(1, Math.min(o.maxFrames, Math.floor(end * FPS + 1e-6)));
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  const frames: Array<Blob | undefined> = new Array(total);
  const encoding: Array<Promise<void>> = [];
  let loaded = 0;
  let failure: unknown;
  const decoder = new VideoDecoder({
    output: (frame) => {
      const from = frame.timestamp / 1e6;
      const to = from + (frame.duration ?? 1e6 / FPS) / 1e6;
      // Every frame index whose middle time falls in this frame's interval shows this picture.
      for (let i = Math.max(0, Math.ceil(from * FPS - 0.5)); i < total && (i + 0.5) / FPS < to; i++) {
        if (frames[i] || (i + 0.5) / FPS < from) continue;
        ctx.drawImage(frame, 0, 0, width, height);
        // convertToBlob copies the canvas when called, so the next frame may be drawn at once.
        encoding.push(
          canvas.convertToBlob({ type: 'image/jpeg', quality: JPEG_QUALITY }).then((blob) => {
            frames[i] = blob;
            o.onProgress(++loaded, total);
          }),
        );
      }
      frame.close();
    },
    error: (e) => (failure = e),
  });
  try {
    decoder.configure(config);
    const last = (total + 1) / FPS;
    for (const s of samples) {
      if (o.signal.aborted || failure) break;
      // In decode order; past the last needed frame only a key frame can be skipped safely.
      if (s.key && s.pts / timescale > last) break;
      decoder.decode(new EncodedVideoChunk({ type: s.key ? 'key' : 'delta', timestamp: (s.pts * 1e6) / timescale, duration: (s.duration * 1e6) / timescale, data: bytes.subarray(s.offset, s.offset + s.size) }));
      if (decoder.decodeQueueSize > 8) await new Promise((r) => decoder.addEventListener('dequeue', r, { once: true }));
    }
    await decoder.flush();
  } catch (err) {
    failure ??= err;
  } finally {
    if (decoder.state !== 'closed') decoder.close();
  }
  await Promise.all(encoding);
  if (o.signal.aborted) throw new DOMException('aborted', 'AbortError');
  if (failure || frames.some((f) => !f)) return undefined;
  return { width, height, frames: frames as Blob[] };
}

/**
 * Extracts frames with a `<video>` element from a Blob URL (so seeking never depends on the
 * server honouring HTTP Range): seek to each frame's middle, draw, encode as JPEG.
 */
async function extractWithVideoElement(blob: Blob, o: LoadOptions): Promise<VideoFrames> {
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
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d')!;
    const frames: Blob[] = [];
    for (let i = 0; i < total; i++) {
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
      frames.push(await canvas.convertToBlob({ type: 'image/jpeg', quality: JPEG_QUALITY }));
      o.onProgress(i + 1, total);
    }
    return { width, height, frames };
  } finally {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
  }
}

type CacheDb = IDBPDatabase<unknown>;

async function openCache(model: string): Promise<CacheDb> {
  return openDB(`lipsync-elements:${model}`, 1, {
    upgrade(db) {
      db.createObjectStore('meta');
      db.createObjectStore('frames');
    },
  });
}

interface CacheMeta {
  key: string;
  width: number;
  height: number;
  count: number;
}

/** What identifies one version of the video: URL plus ETag, Last-Modified or size. */
function versionKey(url: string, headers: Headers, maxFrames: number): string {
  const version = headers.get('etag') ?? headers.get('last-modified') ?? headers.get('content-length') ?? '';
  return `${new URL(url, location.href).href}|${version}|${maxFrames}`;
}

/**
 * The model video's frames: from the IndexedDB cache when it holds this version of the video,
 * else downloaded and extracted (and then cached). Throws `video-load-failed`.
 */
export async function loadVideoFrames(o: LoadOptions): Promise<VideoFrames> {
  let db: CacheDb | undefined;
  if (o.cache === 'indexeddb') {
    try {
      db = await openCache(o.model);
    } catch (err) {
      o.onCacheUnavailable(`IndexedDB unavailable (${reason(err)}); frames kept in memory`);
    }
  }
  let head: Response | undefined;
  if (db) {
    try {
      head = await fetch(o.url, { method: 'HEAD', signal: o.signal });
    } catch {
      head = undefined;
    }
    if (head?.ok) {
      const key = versionKey(o.url, head.headers, o.maxFrames);
      const meta = (await db.get('meta', 'meta')) as CacheMeta | undefined;
      if (meta?.key === key) {
        const tx = db.transaction('frames');
        const frames = (await Promise.all(Array.from({ length: meta.count }, (_, i) => tx.store.get(i)))) as Array<Blob | undefined>;
        if (frames.every((f): f is Blob => f instanceof Blob)) {
          o.onProgress(meta.count, meta.count);
          db.close();
          return { width: meta.width, height: meta.height, frames };
        }
      }
    }
  }

  let response: Response;
  try {
    response = await fetch(o.url, { signal: o.signal });
  } catch (err) {
    db?.close();
    if (o.signal.aborted) throw err;
    throw failed(o.url, `cannot be fetched (${reason(err)})`);
  }
  if (!response.ok) {
    db?.close();
    throw failed(o.url, `HTTP ${response.status}`);
  }
  let result: VideoFrames;
  try {
    const blob = await response.blob();
    const path = o.path ?? 'auto';
    const fast = path === 'video' ? undefined : await extractWithWebCodecs(new Uint8Array(await blob.arrayBuffer()), o);
    if (!fast && path === 'webcodecs') throw new Error('WebCodecs cannot decode it');
    result = fast ?? (await extractWithVideoElement(blob, o));
  } catch (err) {
    db?.close();
    if (o.signal.aborted) throw err;
    throw failed(o.url, `does not decode (${reason(err)})`);
  }
  if (db) {
    try {
      const tx = db.transaction(['meta', 'frames'], 'readwrite');
      const frames = tx.objectStore('frames');
      await frames.clear();
      result.frames.forEach((blob, i) => void frames.put(blob, i));
      const meta: CacheMeta = { key: versionKey(o.url, (head?.ok ? head : response).headers, o.maxFrames), width: result.width, height: result.height, count: result.frames.length };
      void tx.objectStore('meta').put(meta, 'meta');
      await tx.done;
    } catch (err) {
      o.onCacheUnavailable(`cache write failed (${reason(err)})`);
    } finally {
      db.close();
    }
  }
  return result;
}

/** Deletes the cached frames of `model`. */
export async function clearVideoCache(model: string): Promise<void> {
  const db = await openCache(model);
  try {
    const tx = db.transaction(['meta', 'frames'], 'readwrite');
    await Promise.all([tx.objectStore('meta').clear(), tx.objectStore('frames').clear(), tx.done]);
  } finally {
    db.close();
  }
}

/**
 * Decoded frames for a short window ahead of the one asked for, so memory stays at a few
 * frames (250 decoded 720×1280 frames would take ~900 MB). `get(i)` answers at once with what
 * is decoded and starts decoding the window. While frame i is still decoding (the index jumped,
 * e.g. after the main thread was blocked) it answers the last frame it gave, so a view shows the
 * avatar a moment longer instead of nothing.
 */
export class FrameBank {
  readonly count: number;
  readonly #blobs: Blob[];
  readonly #decoded = new Map<number, ImageBitmap>();
  readonly #pending = new Set<number>();
  readonly #window: number;
  #closed = false;
  #last = -1;
  /** The frame `get` answered last (always one of `#decoded`, which keeps it open). */
  #shown: ImageBitmap | undefined;

  constructor(video: VideoFrames, window = 8) {
    this.count = video.frames.length;
    this.#blobs = video.frames;
    this.#window = window;
  }

  /** The decoded frame `index % count` if ready, else the last one answered; decodes it and the next few. */
  get(index: number): ImageBitmap | undefined {
    const i = ((index % this.count) + this.count) % this.count;
    const bitmap = this.#decoded.get(i);
    // Asked every animation frame by every view: the window moves only when the index or the
    // frame answered does.
    if (i !== this.#last || !bitmap || bitmap !== this.#shown) {
      this.#last = i;
      this.#shown = bitmap ?? this.#shown;
      const keep = new Set<number>();
      for (let k = 0; k < this.#window; k++) keep.add((i + k) % this.count);
      for (const [j, b] of this.#decoded) {
        // The frame answered last stays: it is what the views show until the next is ready.
        if (!keep.has(j) && b !== this.#shown) {
          b.close();
          this.#decoded.delete(j);
        }
      }
      for (const j of keep) this.#decode(j);
    }
    return this.#shown;
  }

  #decode(i: number): void {
    if (this.#decoded.has(i) || this.#pending.has(i) || this.#closed) return;
    this.#pending.add(i);
    createImageBitmap(this.#blobs[i]!).then(
      (bitmap) => {
        this.#pending.delete(i);
        if (this.#closed) bitmap.close();
        else this.#decoded.set(i, bitmap);
      },
      () => this.#pending.delete(i),
    );
  }

  close(): void {
    this.#closed = true;
    for (const b of this.#decoded.values()) b.close();
    this.#decoded.clear();
    this.#shown = undefined;
  }
}
