import { LitElement, html } from 'lit';
import { ContextProvider } from '@lit/context';
import {
  SESSION_DEFAULTS,
  resolveSessionConfig,
  type CacheMode,
  type ConfigProblem,
  type InputMode,
  type PlaybackDelay,
  type RawSessionConfig,
} from '../../core/config.js';
import { ErrorFolder } from '../../core/error-folding.js';
import { LipsyncError, reason, type LipsyncErrorCode } from '../../core/errors.js';
import { VIEW_MESSAGES, type ViewMessageKey } from '../../core/messages.js';
import { SessionEngine, idleMetrics, type SessionMetrics } from '../../platform/session-engine.js';
import { FrameBank, clearVideoCache, loadVideoFrames } from '../../platform/video-frames.js';
import { decoderPort, frameDecoder } from '../../platform/frame-decoder.js';
import { decodeFrame, type Jpeg } from '../../platform/frames-worker.js';
import { readPoster } from '../../platform/poster.js';
import type { FrameView } from '../../context/session-context.js';
import { createStore } from '../../core/store.js';
import { sessionContext, type LipsyncSessionContext, type SessionSnapshot, type SessionState } from '../../context/session-context.js';
import { emit } from '../events.js';
import { styles } from './lipsync-session.styles.js';

/** Frames extracted per second while the session runs: ahead of playback's 25, leaving it the CPU. */
const EXTRACT_FPS_RUNNING = 30;

const playbackDelayConverter = {
  fromAttribute: (value: string | null): PlaybackDelay | undefined =>
    value === null ? undefined : value.trim() === 'auto' ? 'auto' : value.trim() === '' ? NaN : Number(value),
  toAttribute: (value: PlaybackDelay): string => String(value),
};

/**
 * Owns one lip-sync session and provides it to the views inside it through a context.
 *
 * @summary The session: configuration, state and the context its views read.
 * @tag lipsync-session
 *
 * @slot - The views of the session: `<lipsync-canvas>`, `<lipsync-buffer-view>`, anything else.
 *
 * @attr {string} server - Inference server URL, `ws:` or `wss:`. Default `ws://localhost:8084`.
 * @attr {string} model - Model name sent in every request. Required.
 * @attr {string} models-base - The model video is `{models-base}/{model}/video.mp4`. Default `/models`.
 * @attr {string} video-src - Explicit model video URL, overrides `models-base`.
 * @attr {"mic"|"file"|"stream"|"push"} input - Audio input. Default `mic`.
 * @attr {string} audio-src - Audio file URL for `input="file"`.
 * @attr {boolean} autostart - Start as soon as possible (on the first user gesture where the browser demands one).
 * @attr {string} playback-delay - Milliseconds between capture and playback, or `auto`. Default `auto`.
 * @attr {number} buffer-slots - Ring size in 40 ms slots. Default 500.
 * @attr {number} max-frames - Base video frames used. Default 250.
 * @attr {number} reconnect-interval - Milliseconds before the first reconnect. Default 3000.
 * @attr {number} timeout - Milliseconds before an unanswered request counts as failed. Default 30000.
 * @attr {boolean} muted - Do not play the audio back (applies at once, also while running).
 * @attr {"indexeddb"|"none"} cache - Where extracted video frames persist. Default `indexeddb` (frame 0 also in localStorage, shown at once on the next visit while the cache is checked).
 * @attr {boolean} debug - Red box and coordinates over the composite view.
 * @attr {string} data-state - Reflects `state` (read-only): `idle`, `loading`, `ready`, `running`, `error`.
 * @attr {boolean} data-connected - Present while the server connection is open (read-only).
 *
 * @fires {CustomEvent<{state: string, previous: string}>} lipsync-state-change - The session state changed.
 * @fires {CustomEvent<{connected: boolean, attempt: number}>} lipsync-connection-change - The server connection opened or closed; `attempt` counts failed attempts in a row before it.
 * @fires {CustomEvent<{frameId: number, latency: number}>} lipsync-frame - An AI frame arrived and is ready to show.
 * @fires {CustomEvent<{speaking: boolean}>} lipsync-speaking-change - The played-back audio started or stopped being speech.
 * @fires {CustomEvent<{loaded: number, total: number}>} lipsync-progress - Model video frames extracted so far (or read from the cache).
 * @fires {CustomEvent<SessionMetrics>} lipsync-metrics - The metrics, once a second while running.
 * @fires {CustomEvent<{code: string, message: string, recoverable: boolean, count: number}>} lipsync-error - Something went wrong; `code` says what: `mic-denied`, `mic-unavailable`, `audio-load-failed`, `video-load-failed`, `server-unreachable`, `protocol-error`, `inference-error`, `inference-timeout`, `cache-unavailable` or `invalid-attribute`.
 */
export class LipsyncSessionElement extends LitElement {
  static override styles = styles;
  static override properties = {
    server: {},
    model: {},
    modelsBase: { attribute: 'models-base' },
    videoSrc: { attribute: 'video-src' },
    input: {},
    audioSrc: { attribute: 'audio-src' },
    autostart: { type: Boolean },
    playbackDelay: { attribute: 'playback-delay', converter: playbackDelayConverter },
    bufferSlots: { attribute: 'buffer-slots', type: Number },
    maxFrames: { attribute: 'max-frames', type: Number },
    reconnectInterval: { attribute: 'reconnect-interval', type: Number },
    timeout: { type: Number },
    muted: { type: Boolean },
    cache: {},
    debug: { type: Boolean },
  };

  /**
   * Same-origin URL of `lipsync-capture-worklet.js` (shipped in `dist/`), for pages whose
   * Content-Security-Policy forbids `blob:` scripts. By default the worklet loads inline.
   */
  static workletUrl: string | null = null;

  /**
   * URL of `lipsync-frames-worker.js` (shipped in `dist/`), the Worker that extracts the model
   * video's frames (and decodes them where the bundle's inline decoding Worker cannot start, as
   * under a CSP without `blob:`), where it is not next to the bundle. Where it does not start,
   * frames are extracted with a `<video>` element on the main thread (slower, once: they are cached).
   */
  static framesWorkerUrl: string | null = null;

  /**
   * Same-origin URL of `lipsync-net-worker.js`, the module Worker that runs the session's network
   * side (socket, codec, answer decoding) and draws its views, where it is not next to the bundle
   * (its default place). Where no such Worker starts, both run on the main thread.
   */
  static netWorkerUrl: string | null = null;

  /** A MediaStream to capture from with `input="stream"`. */
  srcObject: MediaStream | null = null;
  /** An AudioContext the page already unlocked (e.g. on iOS); used instead of the session's own. */
  audioContext: AudioContext | null = null;

  /** Inference server URL (`ws:` or `wss:`). */
  server = 'ws://localhost:8084';
  /** Model name, sent in every request. Required. */
  model = '';
  /** Base URL of the model folders. */
  modelsBase = '/models';
  /** Explicit model video URL; overrides `modelsBase`. */
  videoSrc: string | null = null;
  /** Audio input: `mic`, `file`, `stream` or `push`. */
  input: InputMode = 'mic';
  /** Audio file URL for `input="file"`. */
  audioSrc: string | null = null;
  /** Start as soon as possible. */
  autostart = false;
  /** Milliseconds between capture and playback, or `'auto'`. */
  playbackDelay: PlaybackDelay = 'auto';
  /** Ring size in 40 ms slots. */
  bufferSlots = 500;
  /** Base video frames used. */
  maxFrames = 250;
  /** Milliseconds before the first reconnect. */
  reconnectInterval = 3000;
  /** Milliseconds before an unanswered request counts as failed. */
  timeout = 30000;
  /** Do not play the audio back. */
  muted = false;
  /** Where extracted video frames persist: `indexeddb` (frame 0 also in localStorage, ~32 KB, shown at once on the next visit while the cache is checked) or `none`. */
  cache: CacheMode = 'indexeddb';
  /** Red box and coordinates over the composite view. */
  debug = false;

  readonly #store = createStore<SessionSnapshot>({
    state: 'idle',
    connected: false,
    config: SESSION_DEFAULTS,
    videoWidth: 720,
    videoHeight: 1280,
    videoLoaded: 0,
    videoTotal: 0,
    message: '',
    metricsLine: '',
  });

  /** The context value: one object for the element's whole life. */
  readonly #context: LipsyncSessionContext = {
    getState: () => this.#store.getState(),
    subscribe: (listener) => this.#store.subscribe(listener),
    start: () => this.start(),
    requestVideo: () => {
      this.#videoWanted = true;
      this.#loadVideo();
    },
    frameAt: (now, base) => this.#frameAt(now, base),
    presented: (frameId, now, withAiFrame) => this.#engine?.notePresented(frameId, now, withAiFrame),
    ring: () => {
      const engine = this.#engine;
      if (!engine) return undefined;
      return { states: engine.ring.states, size: engine.ring.size, captureHead: engine.ring.captureHead, playhead: engine.playhead };
    },
    viewSize: (view, width, height) => {
      if (width > 0 && height > 0) this.#viewSizes.set(view, [width, height]);
      else this.#viewSizes.delete(view);
      this.#applyDecodeSize();
    },
    drawer: () => (this.#engine?.drawsViews ? this.#engine : undefined),
    drawIn: (view, kind, debug, canvas) => {
      let id = this.#viewIds.get(view);
      if (id === undefined) this.#viewIds.set(view, (id = this.#nextViewId++));
      this.#engine?.views({ type: 'view', id, kind, debug, ...(canvas ? { canvas } : {}) }, canvas ? [canvas] : []);
      this.#sendVideo();
    },
  };

  /** Views by the id the drawing Worker knows them by. */
  readonly #viewIds = new WeakMap<object, number>();
  #nextViewId = 0;
  /** The frames the drawing Worker has (it is the engine's: a new engine has none). */
  #sent = { engine: undefined as object | undefined, jpegs: new WeakSet<object>() };
  /** The size base frames are decoded at (0×0: their own). */
  #decodeSize: [number, number] = [0, 0];

  /** Gives the Worker that draws the views the video: its size and the frames it does not have yet. */
  #sendVideo(): void {
    const engine = this.#engine;
    const bank = this.#bank;
    if (!engine?.drawsViews || !bank) return;
    // The first time, a port to the page's decoding Worker: the frames are decoded there.
    const decoder = this.#sent.engine !== engine ? decoderPort() : undefined;
    if (this.#sent.engine !== engine) this.#sent = { engine, jpegs: new WeakSet() };
    const sent = this.#sent.jpegs;
    const frames = bank.jpegs.flatMap((jpeg, i): Array<[number, Jpeg]> => (jpeg && !sent.has(jpeg) ? (sent.add(jpeg), [[i, jpeg]]) : []));
    const { videoWidth: width, videoHeight: height } = this.#store.getState();
    engine.views({ type: 'video', width, height, count: bank.count, size: this.#decodeSize, frames, decoder }, decoder ? [decoder] : []);
  }

  /** Device-pixel sizes the views show the video at. */
  readonly #viewSizes = new Map<object, [number, number]>();

  /**
   * Base frames decoded at the size the biggest view shows (JPEG decoders scale by halves: half
   * or a quarter of the video where that is still as big as shown), the video's own with no view.
   */
  #applyDecodeSize(): void {
    const { videoWidth: w, videoHeight: h } = this.#store.getState();
    let need = this.#viewSizes.size ? 0 : 1;
    for (const [vw, vh] of this.#viewSizes.values()) need = Math.max(need, vw / w, vh / h);
    const scale = need > 0.5 ? 1 : need > 0.25 ? 0.5 : 0.25;
    const [dw, dh] = (this.#decodeSize = scale === 1 ? [0, 0] : [Math.round(w * scale), Math.round(h * scale)]);
    this.#bank?.setSize(dw, dh);
    this.#sendVideo();
    // The poster is decoded once a view has told its size (a 720×1280 frame decoded whole and made
    // a bitmap took longer here than the cache's own frame 0 at the view's size).
    const poster = this.#viewSizes.size ? this.#posterJpeg : undefined;
    if (poster) {
      this.#posterJpeg = undefined;
      const abort = this.#videoAbort;
      decodeFrame(poster, dw, dh).then(
        (bitmap) => (this.#videoAbort === abort && this.#poster === undefined ? (this.#poster = bitmap) : bitmap.close()),
        () => {},
      );
    }
  }

  #videoWanted = false;
  /** The video configuration loaded, loading or failed: views ask on every update, so it is tried once. */
  #videoKey = '';
  /** Loading `#videoKey` failed: the state stays `error` until another video is set or start() tries again. */
  #videoFailed = false;
  #videoAbort: AbortController | undefined;
  #bank: FrameBank | undefined;
  /** Never show an earlier slot than one already shown (the delay may grow). */
  #lastShown = -1;

  readonly #errors = new ErrorFolder({
    emit: (report) => emit(this, 'lipsync-error', report),
    now: () => performance.now(),
    schedule: (fn, ms) => {
      const id = setTimeout(fn, ms);
      return () => clearTimeout(id);
    },
  });

  /** Problems already reported, so one bad value is reported once, not on every update. */
  #reported = new Set<string>();
  #engine: SessionEngine | undefined;
  #starting: Promise<void> | undefined;
  #metricsTimer: ReturnType<typeof setInterval> | undefined;
  #teardown: ReturnType<typeof setTimeout> | undefined;
  #autostarted = false;
  /** Counts stop() calls, so a start() still pending when one comes gives up. */
  #generation = 0;
  /** Aborting it removes the gesture listeners. */
  #gesture: AbortController | undefined;

  constructor() {
    super();
    new ContextProvider(this, { context: sessionContext, initialValue: this.#context });
    this.#store.subscribe((state, previous) => {
      if (state.state !== previous.state) {
        this.dataset['state'] = state.state;
        emit(this, 'lipsync-state-change', { state: state.state, previous: previous.state });
      }
      if (state.connected !== previous.connected) this.toggleAttribute('data-connected', state.connected);
    });
  }

  /** The context value views use; views placed elsewhere reach it through `session="id"`. */
  get sessionContext(): LipsyncSessionContext {
    return this.#context;
  }

  /** The session state: `idle`, `loading`, `ready`, `running` or `error`. */
  get state(): SessionState {
    return this.#store.getState().state;
  }

  /** The session's figures now (see README); counts are 0 and measurements null before start. */
  get metrics(): SessionMetrics {
    const delay = this.#store.getState().config.playbackDelay;
    return this.#engine?.metrics() ?? this.#lastMetrics ?? idleMetrics(delay === 'auto' ? 0 : delay);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Re-inserted within a tick (a CMS drag, a reparent): keep the running session.
    clearTimeout(this.#teardown);
    this.#teardown = undefined;
    this.dataset['state'] = this.state;
    this.#loadVideo();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.#teardown);
    this.#teardown = setTimeout(() => {
      this.#teardown = undefined;
      if (this.isConnected) return;
      this.stop();
      this.#videoAbort?.abort();
      this.#videoKey = '';
      this.#bank?.close();
      this.#bank = undefined;
      this.#dropPoster();
      this.#errors.clear();
    }, 0);
  }

  /** The model video URL for the current configuration. */
  #videoUrl(): string {
    const { config } = this.#store.getState();
    return config.videoSrc ?? `${config.modelsBase.replace(/\/+$/, '')}/${encodeURIComponent(config.model)}/video.mp4`;
  }

  #loadVideo(): void {
    const { config } = this.#store.getState();
    // While running, the video it started with stays (the server animates that model's frames);
    // a changed one loads at stop().
    if (!this.#videoWanted || this.#fatal || !this.isConnected || (this.#engine && this.#videoKey)) return;
    const url = this.#videoUrl();
    const key = `${url}|${config.maxFrames}|${config.cache}`;
    if (key === this.#videoKey) return;
    this.#videoKey = key;
    this.#videoFailed = false;
    this.#setProblem('video', undefined);
    this.#videoAbort?.abort();
    const abort = new AbortController();
    this.#videoAbort = abort;
    if (this.state !== 'running') this.#store.update({ state: 'loading' });
    this.#store.update({ videoLoaded: 0, videoTotal: 0 });
    // Frame 0 as last cached is shown until the frames of the video as it is now can be (readPoster).
    this.#dropPoster(true);
    const poster = config.cache === 'indexeddb' ? readPoster(config.model, url) : undefined;
    this.#posterJpeg = poster?.bytes;
    if (poster) {
      this.#store.update({ videoWidth: poster.width, videoHeight: poster.height });
      this.#applyDecodeSize();
    }
    let progressShown = -Infinity;
    loadVideoFrames({
      url,
      model: config.model,
      maxFrames: config.maxFrames,
      cache: config.cache,
      signal: abort.signal,
      posterKey: poster?.key,
      onProgress: (loaded, total) => {
        // The views re-render on a store change: at most 10 a second (and the last one).
        const now = performance.now();
        if (loaded === total || now - progressShown >= 100) {
          progressShown = now;
          this.#store.update({ videoLoaded: loaded, videoTotal: total });
        }
        emit(this, 'lipsync-progress', { loaded, total });
      },
      onCacheUnavailable: (message) => this.#errors.report('cache-unavailable', message, true),
      workerUrl: LipsyncSessionElement.framesWorkerUrl,
      // As fast as it goes until the session runs, then a little faster than playback.
      extractionFps: () => (this.#engine ? EXTRACT_FPS_RUNNING : 0),
      // The avatar is usable from its first frame: views hold the nearest extracted frame for
      // one not yet extracted (extraction runs ahead of playback).
      onStart: (width, height, total) => {
        if (abort.signal.aborted) return;
        this.#bank?.close();
        // Frames decode in the page's decoding Worker (the frames Worker's code), off the main thread.
        this.#bank = new FrameBank(total, [], undefined, frameDecoder(LipsyncSessionElement.framesWorkerUrl));
        this.#store.update({ videoWidth: width, videoHeight: height });
        this.#applyDecodeSize();
      },
      onPreview: (index, bitmap) => {
        if (abort.signal.aborted || !this.#bank) return bitmap.close();
        this.#bank.preview(index, bitmap);
        this.#firstFrame();
      },
      onFrame: (index, blob) => {
        if (abort.signal.aborted || !this.#bank) return;
        this.#bank.add(index, blob);
        this.#firstFrame();
        this.#sendVideo();
      },
    }).then(
      () => {},
      (err: unknown) => {
        if (abort.signal.aborted) return;
        this.#videoFailed = true;
        this.#setProblem('video', 'video-load-failed');
        this.#bank?.close();
        this.#bank = undefined;
        this.#dropPoster();
        if ((this.state === 'loading' || this.state === 'ready') && !this.#engine) this.#store.update({ state: 'error' });
        if (err instanceof LipsyncError) this.#errors.report(err.code, err.message, err.recoverable);
        else this.#errors.report('video-load-failed', `model video ${url}: ${String(err)}`, false);
      },
    );
  }

  /** A frame of the model video can be shown: the session is ready (if it was loading). */
  #firstFrame(): void {
    if (this.state !== 'loading' || this.#engine) return;
    // Starts decoding frame 0 (once: views move the bank's window from then on).
    this.#bank?.get(0);
    this.#store.update({ state: 'ready' });
  }

  #frameAt(now: number, withBase = true): FrameView {
    const engine = this.#engine;
    const bank = this.#bank;
    let frameId = -1;
    let sounding = false;
    if (engine) {
      const speaker = engine.speakerAt(now);
      frameId = Math.max(this.#lastShown, speaker.slot);
      sounding = speaker.sounding && speaker.slot === frameId;
      this.#lastShown = frameId;
    }
    const baseIndex = bank && frameId >= 0 ? frameId % bank.count : 0;
    // In silence inserted by the playout (a held onset, a grown delay) the mouth stays closed.
    const ai = engine && sounding ? engine.frames.get(frameId) : undefined;
    const base = withBase ? bank?.get(baseIndex) : undefined;
    if (base) this.#dropPoster();
    return { frameId, baseIndex, base: base ?? this.#poster ?? undefined, ai };
  }

  /** Frame 0 as last cached, until the bank answers (null: no longer wanted for this load); its JPEG until decoded. */
  #poster: ImageBitmap | null | undefined;
  #posterJpeg: ArrayBuffer | undefined;

  /** Closes the poster; another is `wanted` (a new load) or none until the next load. */
  #dropPoster(wanted = false): void {
    this.#poster?.close();
    this.#poster = wanted ? undefined : null;
  }

  /** Deletes this model's cached video frames (IndexedDB, and frame 0 in localStorage); the next load extracts them again. */
  async clearCache(): Promise<void> {
    const { config } = this.#store.getState();
    if (!config.model) return;
    try {
      await clearVideoCache(config.model);
    } catch (err) {
      this.#errors.report('cache-unavailable', `cache not cleared: ${reason(err)}`, true);
    }
  }

  /**
   * Starts capture, the connection and playback. Resolves once running; on failure the state
   * is `error` and a `lipsync-error` tells why (it does not reject).
   */
  start(): Promise<void> {
    if (this.#starting) return this.#starting;
    if (this.#engine) return Promise.resolve();
    const starting = this.#start().finally(() => {
      if (this.#starting === starting) this.#starting = undefined;
    });
    return (this.#starting = starting);
  }

  async #start(): Promise<void> {
    const generation = this.#generation;
    // Attributes set just before start() are parsed in the pending update.
    await this.updateComplete;
    // No safe default for server and model: connect nowhere until they are corrected. And a
    // stop() that came meanwhile wins.
    if (this.#fatal || generation !== this.#generation) return;
    // A model video that failed to load is tried again: start is the user asking once more.
    if (this.#videoFailed) {
      this.#videoKey = '';
      this.#loadVideo();
    }
    this.#setProblem('start', undefined);
    const snapshot = this.#store.getState();
    this.#store.update({ state: 'loading' });
    // A listener of that change may have stopped us already.
    if (generation !== this.#generation) return this.#store.update({ state: snapshot.state });
    const engine = this.#createEngine(snapshot);
    this.#engine = engine;
    this.#lastMetrics = undefined;
    try {
      await engine.start();
    } catch (err) {
      engine.stop();
      // Stopped meanwhile: the failure is only the stop's doing.
      if (this.#engine !== engine) return;
      this.#engine = undefined;
      this.#store.update({ state: 'error', connected: false });
      this.#setProblem('start', LipsyncSessionElement.#viewKey(err, 'mic-unavailable'));
      if (err instanceof LipsyncError) this.#errors.report(err.code, err.message, err.recoverable);
      else this.#errors.report('mic-unavailable', `audio could not start: ${reason(err)}`, false);
      return;
    }
    if (this.#engine !== engine) return; // stopped while starting
    this.#waitForGesture(engine.context);
    this.#store.update({ state: 'running' });
    this.#lastShown = -1;
    this.#metricsTimer = setInterval(() => {
      const m = this.metrics;
      emit(this, 'lipsync-metrics', m);
      const ms = (v: number | null) => (v === null ? '–' : `${Math.round(v)} ms`);
      this.#store.update({
        metricsLine: `${m.fps} fps, latency p50 ${ms(m.latencyMs.p50)} p95 ${ms(m.latencyMs.p95)}, delay ${m.playbackDelayMs} ms, late ${m.lateFrames}, audio ${m.audioBufferFill}, frames ${m.frameBufferFill}`,
      });
    }, 1000);
  }

  #createEngine(snapshot: SessionSnapshot): SessionEngine {
    return new SessionEngine({
      config: snapshot.config,
      audioContext: this.audioContext,
      srcObject: this.srcObject,
      workletUrl: LipsyncSessionElement.workletUrl,
      netWorker: LipsyncSessionElement.netWorkerUrl ?? undefined,
      videoSize: () => {
        const { videoWidth, videoHeight } = this.#store.getState();
        return [videoWidth, videoHeight];
      },
      onConnection: (connected, attempt) => {
        if (connected) this.#setProblem('server', undefined);
        this.#store.update({ connected });
        emit(this, 'lipsync-connection-change', { connected, attempt });
      },
      onFrame: (frameId, latency) => emit(this, 'lipsync-frame', { frameId, latency }),
      onError: (code, message, recoverable) => {
        if (code === 'server-unreachable') this.#setProblem('server', 'server-unreachable');
        this.#errors.report(code, message, recoverable);
      },
      onSpeaking: (speaking) => emit(this, 'lipsync-speaking-change', { speaking }),
    });
  }

  /** Where the browser keeps audio suspended until a user gesture, resume on the first one. */
  #waitForGesture(context: AudioContext | undefined): void {
    if (!context || context.state !== 'suspended') return;
    const gesture = (this.#gesture = new AbortController());
    const resume = () => {
      void context.resume();
      gesture.abort();
    };
    for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, resume, { capture: true, signal: gesture.signal });
  }

  /** Stops and releases everything: microphone, AudioContext (its own), socket, timers, frames. */
  stop(): void {
    this.#generation++;
    // A start() still pending gives up (it checks the generation); the next start() is a new one.
    this.#starting = undefined;
    clearInterval(this.#metricsTimer);
    this.#metricsTimer = undefined;
    this.#gesture?.abort();
    const engine = this.#engine;
    this.#engine = undefined;
    this.#setProblem('server', undefined);
    if (!engine) return;
    // The final figures stay readable after stop(), until the next start().
    this.#lastMetrics = engine.metrics();
    engine.stop();
    const { state, connected } = this.#store.getState();
    this.#store.update({ state: state === 'error' || this.#videoFailed ? 'error' : this.#bank ? 'ready' : 'idle', connected: false, metricsLine: '' });
    if (connected) emit(this, 'lipsync-connection-change', { connected: false, attempt: 0 });
    this.#loadVideo();
  }

  /**
   * Queues audio for `input="push"` (a TTS stream, say) at any sample rate from 3000 to 768000
   * (Web Audio's range); it is resampled to 24 kHz and fills the next free slots. Ignored unless
   * running with `input="push"`, and for anything but a Float32Array at such a rate.
   */
  pushAudio(samples: Float32Array, sampleRate = 24000): void {
    // Bounded before the resampler sizes its filter by the ratio (1 GHz would take ~750 MB).
    if (!(samples instanceof Float32Array && sampleRate >= 3000 && sampleRate <= 768000)) return;
    this.#engine?.pushAudio(samples, sampleRate);
  }

  /** Barge-in: drops every chunk not yet played, so the avatar falls silent within one frame. */
  interrupt(): void {
    this.#engine?.interrupt();
  }

  protected override willUpdate(): void {
    const raw: RawSessionConfig = {
      server: this.server,
      model: this.model,
      modelsBase: this.modelsBase,
      videoSrc: this.videoSrc,
      input: this.input,
      audioSrc: this.audioSrc,
      autostart: this.autostart,
      playbackDelay: this.playbackDelay,
      bufferSlots: this.bufferSlots,
      maxFrames: this.maxFrames,
      reconnectInterval: this.reconnectInterval,
      timeout: this.timeout,
      muted: this.muted,
      cache: this.cache,
      debug: this.debug,
    };
    const { config, problems } = resolveSessionConfig(raw, (name) => this.getAttribute(name));
    this.#reportProblems(problems);
    const fatal = problems.some((p) => p.fatal);
    const fatalAttribute = problems.find((p) => p.fatal)?.attribute;
    this.#setProblem('config', fatalAttribute === 'server' ? 'invalid-server' : fatalAttribute === 'model' ? 'invalid-model' : undefined);
    const current = this.#store.getState().state;
    const state: SessionState = fatal ? 'error' : current === 'error' && !this.#videoFailed ? 'idle' : current;
    this.#fatal = fatal;
    if (fatal) this.stop();
    this.#store.update({ config, state });
    // `muted` applies at once, also while running.
    this.#engine?.setMuted(config.muted);
    this.#loadVideo();
    if (config.autostart && !fatal && !this.#autostarted && this.isConnected) {
      this.#autostarted = true;
      queueMicrotask(() => void this.start());
    }
  }

  /** What the views say, by where it comes from; the first one present is shown. */
  readonly #problems = new Map<'config' | 'video' | 'start' | 'server', ViewMessageKey>();

  #setProblem(source: 'config' | 'video' | 'start' | 'server', key: ViewMessageKey | undefined): void {
    if (key) this.#problems.set(source, key);
    else this.#problems.delete(source);
    const shown = (['config', 'video', 'start', 'server'] as const).map((k) => this.#problems.get(k)).find(Boolean);
    this.#store.update({ message: shown ? VIEW_MESSAGES[shown] : '' });
  }

  /** The view message for an error that stopped start() or the video. */
  static #viewKey(err: unknown, fallback: LipsyncErrorCode): ViewMessageKey | undefined {
    const code = err instanceof LipsyncError ? err.code : fallback;
    return (err instanceof LipsyncError && err.view) || (code in VIEW_MESSAGES ? (code as ViewMessageKey) : undefined);
  }

  #fatal = false;
  /** Metrics of the last run, kept after stop(). */
  #lastMetrics: SessionMetrics | undefined;

  #reportProblems(problems: ConfigProblem[]): void {
    const now = new Set<string>();
    for (const problem of problems) {
      const key = `${problem.attribute}=${problem.value}`;
      now.add(key);
      if (this.#reported.has(key)) continue;
      this.#errors.report('invalid-attribute', problem.message, !problem.fatal);
    }
    this.#reported = now;
  }

  protected override render() {
    return html`<slot></slot>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lipsync-session': LipsyncSessionElement;
  }
}
