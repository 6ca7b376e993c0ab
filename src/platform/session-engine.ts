import type { SessionConfig } from '../core/config.js';
import { ProtocolError, type LipsyncErrorCode } from '../core/errors.js';
import { FrameStore } from '../core/frame-store.js';
import { placePatch, type Box, type Placement } from '../core/frame-patch.js';
import { CHUNK_MS, CHUNK_SAMPLES, SAMPLE_RATE } from '../core/protocol.js';
import { Resampler } from '../core/resampler.js';
import { SlotRing, SlotState } from '../core/ring.js';
import { RateCounter, RecentValues, levelDb } from '../core/stats.js';
import { contextToPerformance, performanceToContext } from '../core/clock.js';
import { Playout, SPEECH_DB } from '../core/playout.js';
import { SharedLoop } from '../core/shared-loop.js';
import { AudioCapture } from './audio-capture.js';
import type { WorkletMessage } from './capture-worklet.js';
import type { LinkAnswer } from './net-answer.js';
import { LocalLink, startWorkerLink, type LinkEvents, type LinkOptions, type NetLink } from './net-link.js';
import type { ToWorkerViews } from './worker-views.js';

/** An AI frame ready to draw. */
export interface AiFrame {
  readonly bitmap: ImageBitmap;
  readonly placement: Placement;
  readonly box: Box;
}

/** The session's figures (SPEC §2 `metrics`); null where nothing has been measured yet. */
export interface SessionMetrics {
  audioBufferFill: number;
  frameBufferFill: number;
  framesGenerated: number;
  fps: number;
  latencyMs: { p50: number | null; p95: number | null };
  audioLevelDb: number;
  lateFrames: number;
  syncErrorMs: number | null;
  firstFrameMs: number | null;
  playbackDelayMs: number;
  reconnects: number;
  bytesSent: number;
  bytesReceived: number;
}

/** Metrics of a session that has not run: counts 0, measurements null. */
export function idleMetrics(playbackDelayMs: number): SessionMetrics {
  return {
    audioBufferFill: 0,
    frameBufferFill: 0,
    framesGenerated: 0,
    fps: 0,
    latencyMs: { p50: null, p95: null },
    audioLevelDb: -100,
    lateFrames: 0,
    syncErrorMs: null,
    firstFrameMs: null,
    playbackDelayMs,
    reconnects: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
}

export interface EngineCallbacks {
  onConnection(connected: boolean, attempt: number): void;
  onFrame(frameId: number, latencyMs: number): void;
  onError(code: LipsyncErrorCode, message: string, recoverable: boolean): void;
  onSpeaking(speaking: boolean): void;
}

export interface EngineOptions extends EngineCallbacks {
  config: SessionConfig;
  /** A context the page already unlocked; the engine then does not create or close its own. */
  audioContext: AudioContext | null;
  srcObject: MediaStream | null;
  workletUrl: string | null;
  /** The model video's size now (it may load after the session starts). */
  videoSize: () => [number, number];
  random?: () => number;
  /**
   * The network Worker: `undefined` loads it from next to the bundle, a string from there, `false`
   * keeps the network on the main thread. Where it does not start, the main thread it is.
   */
  netWorker?: string | false | undefined;
}

/** How often the engine looks at the clock: sends, timeouts, playhead. */
const TICK_MS = 20;
/** Every running engine of the page ticks in the same timer task. */
const ticks = new SharedLoop<void>((run) => {
  const timer = setInterval(run, TICK_MS);
  return () => clearInterval(timer);
});
/** Most unsent bytes the socket may hold: ~1 s of requests. */
const MAX_BUFFERED_BYTES = 25 * 4096;
/**
 * Chunks are sent when they are due to be heard within the playback delay plus this much
 * (in 40 ms slots), not sooner: a server works through what it was sent in order, and what
 * `interrupt()` drops cannot be taken back from its queue.
 */
const SEND_AHEAD_SLOTS = 10;
/** Speech ends after this much quiet. */
const SPEECH_HANGOVER_MS = 240;

/**
 * One running session: capture → ring → transport → frame store, on the AudioContext clock.
 * The playout (core/playout.ts) decides when each chunk is heard, what to send and what is late;
 * the engine feeds it events and carries out what it decides.
 */
export class SessionEngine {
  readonly ring: SlotRing;
  readonly frames = new FrameStore<AiFrame>((f) => f.bitmap.close());
  readonly #o: EngineOptions;
  #link: NetLink | undefined;
  readonly #playout: Playout;
  readonly #syncError = new RecentValues(256);
  readonly #fps = new RateCounter();
  readonly #sources = new Map<number, AudioBufferSourceNode>();
  #context: AudioContext | undefined;
  /** Every chunk plays through this gain: `muted` applies at once. */
  #out: GainNode | undefined;
  #ownsContext = false;
  #capture: AudioCapture | undefined;
  readonly #tick = () => this.#onTick();
  /** Context time (s) of the start of chunk 0; undefined until capture delivers it. */
  #t0: number | undefined;
  #startedAt = 0;
  #framesGenerated = 0;
  #firstFrameMs: number | null = null;
  #lastLevelDb = -100;
  #speaking = false;
  #lastSpeechAt = -Infinity;
  #stopped = false;
  // Push input: samples at 24 kHz waiting for a slot, and the next slot they go to.
  #pushQueue: Float32Array[] = [];
  #pushQueued = 0;
  #pushHead = 0;
  #pushResampler: Resampler | undefined;

  constructor(options: EngineOptions) {
    this.#o = options;
    this.ring = new SlotRing(options.config.bufferSlots);
    this.#playout = new Playout(options.config.playbackDelay, options.config.timeout);
  }

  /** What the network side reports, wherever it runs. */
  #linkEvents(): LinkEvents {
    const server = this.#o.config.server;
    return {
      onOpen: (attempt) => {
        this.#o.onConnection(true, attempt);
        this.#sendPending();
      },
      onClose: ({ wasOpen, attempt, code, reason }) => {
        // Answers to what was in flight died with the socket: those still ahead are sent again.
        for (const id of this.#playout.forgetRequests()) if (this.ring.state(id) === SlotState.sent) this.ring.setState(id, SlotState.audio);
        if (wasOpen) this.#o.onConnection(false, 0);
        else this.#o.onError('server-unreachable', `cannot connect to ${server} (attempt ${attempt}${code ? `, code ${code}` : ''}${reason ? `: ${reason}` : ''})`, true);
      },
      onAnswer: (answer) => this.#onAnswer(answer),
      onChunk: (chunk, sentAt) => this.#captured(chunk, sentAt),
      onUnsent: (id) => {
        if (this.ring.state(id) !== SlotState.sent) return;
        this.ring.setState(id, SlotState.audio);
        this.#playout.giveUp(id);
      },
      onPresented: (list) => {
        for (let n = 0; n + 2 < list.length; n += 3) this.notePresented(list[n]!, list[n + 1]! - performance.timeOrigin, list[n + 2] === 1);
      },
    };
  }

  /** The views are drawn in the network Worker (it started): hand them over with `views()`. */
  get drawsViews(): boolean {
    return Boolean(this.#link?.views);
  }

  /** To the Worker that draws the views (see `WorkerViews`). */
  views(m: ToWorkerViews, transfer?: Transferable[]): void {
    this.#link?.views?.(m, transfer);
  }

  /** An output timestamp: the context time at the speaker (s) and when that was (performance.now()). */
  #stamp(ctx: AudioContext): { contextTime: number; performanceTime: number } {
    const stamp = ctx.getOutputTimestamp();
    return stamp.contextTime && stamp.performanceTime ? (stamp as Required<AudioTimestamp>) : { contextTime: ctx.currentTime - (ctx.outputLatency || 0), performanceTime: performance.now() };
  }

  /** The AudioContext in use (for playback scheduling and the clock). */
  get context(): AudioContext | undefined {
    return this.#context;
  }

  /** The chunk being heard now (-1 before the first). */
  get playhead(): number {
    return this.#playout.playhead;
  }

  get playbackDelayMs(): number {
    return this.#playout.delayMs;
  }

  /** Mutes or unmutes playback at once. */
  setMuted(muted: boolean): void {
    if (this.#out) this.#out.gain.value = muted ? 0 : 1;
  }

  /**
   * The slot whose audio is at the speaker at `now` (a performance.now() time), from the
   * context's output timestamp (-1 before the first chunk is heard), and whether its audio is
   * still sounding: in silence the playout inserted after it, the mouth is not drawn.
   */
  speakerAt(now: number): { slot: number; sounding: boolean } {
    const t = this.#audioTime(now);
    if (t === undefined) return { slot: -1, sounding: false };
    // The output timestamp can step back a little (after a blocked main thread): the time at the
    // speaker never does, so a slot already shown with its mouth is not shown without it again.
    this.#speakerT = Math.max(this.#speakerT, t);
    return this.#playout.speakerAt(this.#speakerT);
  }

  /** The audio-clock time (ms) at the speaker at `now` (a performance.now() time); undefined before the first chunk. */
  #audioTime(now: number): number | undefined {
    const ctx = this.#context;
    if (!ctx || this.#t0 === undefined) return undefined;
    return performanceToContext(now, this.#stamp(ctx)) * 1000;
  }

  /** The latest time at the speaker answered (audio clock, ms). */
  #speakerT = -Infinity;

  /**
   * A view put slot `frameId` on screen at `now`: records first-frame time and the sync error
   * (screen time minus the time its audio reached the speaker).
   */
  notePresented(frameId: number, now: number, withAiFrame: boolean): void {
    const ctx = this.#context;
    if (!ctx || this.#t0 === undefined || !withAiFrame) return;
    this.#firstFrameMs ??= now - this.#startedAt;
    const stamp = ctx.getOutputTimestamp();
    const at = this.#playout.playAt(frameId);
    if (!stamp.contextTime || !stamp.performanceTime || !Number.isFinite(at)) return;
    // Only frames that had their AI frame: what is in sync is the mouth, not the base video.
    this.#syncError.add(Math.abs(now - contextToPerformance(at / 1000, stamp as Required<AudioTimestamp>)));
  }

  /**
   * Opens audio and connects. Throws `LipsyncError` (mic-denied, mic-unavailable) when the
   * input cannot be opened; the caller then stops the engine.
   */
  async start(): Promise<void> {
    const { config } = this.#o;
    this.#startedAt = performance.now();
    this.#context = this.#o.audioContext ?? new AudioContext({ sampleRate: SAMPLE_RATE, latencyHint: 'interactive' });
    this.#ownsContext = !this.#o.audioContext;
    this.#out = this.#context.createGain();
    this.#out.connect(this.#context.destination);
    this.setMuted(config.muted);
    // Resolves at once where audio may start; where a gesture is needed it waits for one.
    void this.#context.resume();
    // The network: in a Worker where one starts (it connects at once; captured chunks then go
    // to it directly), else here. It starts while the input opens.
    const options: LinkOptions = { url: config.server, model: config.model, reconnectIntervalMs: config.reconnectInterval, maxBufferedBytes: MAX_BUFFERED_BYTES, random: this.#o.random ?? Math.random };
    const events = this.#linkEvents();
    const starting = this.#o.netWorker === false ? Promise.resolve(undefined) : startWorkerLink(options, events, config.input !== 'push', this.#o.netWorker);
    const linked = starting.then((worker) => {
      const link = worker ?? new LocalLink(options, events);
      // Stopped meanwhile: nothing may stay open.
      if (this.#stopped) link.close();
      else {
        this.#link = link;
        link.connect();
      }
      return link;
    });
    if (config.input === 'push') {
      this.#t0 = this.#context.currentTime;
      this.#playout.anchor(0, this.#t0 * 1000);
      this.#pushHead = 0;
      await linked;
    } else {
      const capture = AudioCapture.open({
        context: this.#context,
        input: config.input,
        audioSrc: config.audioSrc,
        srcObject: this.#o.srcObject,
        workletUrl: this.#o.workletUrl,
        onChunk: (m) => this.#captured(m, null),
        onEnded: () => {},
      });
      // A failed input fails the start; the link, once there, is closed by stop().
      const [opened, link] = await Promise.all([capture, linked]);
      this.#capture = opened;
      if (link.capturePort && !this.#stopped) opened.sendTo(link.capturePort);
    }
    // Stopped while the input was opening: release what just opened.
    if (this.#stopped) return this.#capture?.stop();
    ticks.add(this.#tick);
  }

  /** Releases everything: capture, socket, timers, scheduled audio, bitmaps, and its own context. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    ticks.delete(this.#tick);
    this.#capture?.stop();
    this.#link?.close();
    for (const s of this.#sources.values()) this.#stopSource(s);
    this.#sources.clear();
    this.frames.clear();
    this.#pushQueue = [];
    this.#pushQueued = 0;
    this.#out?.disconnect();
    if (this.#ownsContext) void this.#context?.close();
    this.#context = undefined;
  }

  /** Queues pushed audio (any rate) for the next free slots. */
  pushAudio(samples: Float32Array, sampleRate: number): void {
    if (this.#stopped || this.#o.config.input !== 'push') return;
    let at24k = samples;
    if (sampleRate !== SAMPLE_RATE) {
      if (!this.#pushResampler || this.#pushResampler.inRate !== sampleRate) this.#pushResampler = new Resampler(sampleRate, SAMPLE_RATE);
      at24k = this.#pushResampler.process(samples);
    } else {
      at24k = samples.slice();
    }
    if (at24k.length === 0) return;
    this.#pushQueue.push(at24k);
    this.#pushQueued += at24k.length;
    this.#pumpPush(true);
  }

  /**
   * Barge-in: drops every chunk not yet played — queued pushed audio, slots ahead of the
   * playhead, requests in flight (their answers are ignored), frames and scheduled audio.
   */
  interrupt(): void {
    const ctx = this.#context;
    if (!ctx) return;
    const from = this.#playout.playhead + 1;
    const head = this.ring.captureHead;
    this.#pushQueue = [];
    this.#pushQueued = 0;
    this.#pushResampler = undefined;
    for (let id = from; id <= head; id++) {
      this.#release(id);
      this.ring.clear(id);
    }
    // Ids never go back: the next speech starts after every id already used.
    const next = Math.max(head, from - 1) + 1;
    this.#playout.interrupt(ctx.currentTime * 1000, next, this.#o.config.input === 'push');
    this.#pushHead = next;
  }

  metrics(): SessionMetrics {
    const p = this.#playout.playhead;
    const latency = this.#playout.latency;
    const head = this.ring.captureHead;
    return {
      audioBufferFill: head > p ? this.ring.count(p + 1, head, SlotState.audio, SlotState.sent, SlotState.complete, SlotState.failed) : 0,
      frameBufferFill: head > p ? this.ring.count(p + 1, head, SlotState.complete) : 0,
      framesGenerated: this.#framesGenerated,
      fps: this.#fps.perSecond(performance.now()),
      latencyMs: latency.size ? { p50: latency.percentile(50), p95: latency.percentile(95) } : { p50: null, p95: null },
      audioLevelDb: this.#lastLevelDb,
      lateFrames: this.#playout.lateFrames,
      syncErrorMs: this.#syncError.size ? this.#syncError.percentile(95) : null,
      firstFrameMs: this.#firstFrameMs,
      playbackDelayMs: this.#playout.delayMs,
      ...(this.#link?.stats() ?? { reconnects: 0, bytesSent: 0, bytesReceived: 0 }),
    };
  }

  /** The slot whose 40 ms the capture clock is in now. */
  #nowSlot(): number {
    if (!this.#context || !this.#playout.started) return 0;
    return this.#playout.nowSlot(this.#context.currentTime * 1000);
  }

  /** A captured chunk, from the worklet or through the network Worker (sent already at `sentAt`, ms since the epoch). */
  #captured(m: Extract<WorkletMessage, { type: 'chunk' }>, sentAt: number | null): void {
    if (this.#stopped) return;
    if (this.#t0 === undefined) {
      this.#t0 = m.startTime;
      this.#playout.anchor(0, m.startTime * 1000);
    }
    const level = levelDb(m.samples);
    this.#lastLevelDb = level;
    const evicted = this.ring.put(m.index, m.samples, level);
    if (evicted >= 0) this.#release(evicted);
    if (sentAt !== null && this.ring.state(m.index) === SlotState.audio) {
      this.ring.setState(m.index, SlotState.sent);
      this.#playout.sent(m.index, sentAt - performance.timeOrigin);
    }
    this.#sendPending();
  }

  #release(frameId: number): void {
    this.frames.delete(frameId);
    this.#unschedule(frameId);
  }

  /** Stops chunk `frameId`'s audio (before it starts, or cut short) and forgets it. */
  #unschedule(frameId: number): void {
    const s = this.#sources.get(frameId);
    if (!s) return;
    this.#stopSource(s);
    this.#sources.delete(frameId);
  }

  #stopSource(source: AudioBufferSourceNode): void {
    try {
      source.stop();
    } catch {
      // not started yet
    }
    source.disconnect();
  }

  /** Starts chunk `frameId` at context time `when` (s), sample-accurately, at `rate`, through the output gain. */
  #schedulePlayback(frameId: number, when: number, rate: number): void {
    const ctx = this.#context;
    const samples = this.ring.samples(frameId);
    if (!ctx || !this.#out || !samples) return;
    const buffer = ctx.createBuffer(1, CHUNK_SAMPLES, SAMPLE_RATE);
    buffer.copyToChannel(samples, 0);
    const source = ctx.createBufferSource();
    source.buffer = buffer;
    source.playbackRate.value = rate;
    source.connect(this.#out);
    source.onended = () => {
      if (this.#sources.get(frameId) === source) this.#sources.delete(frameId);
      source.disconnect();
    };
    source.start(when);
    this.#sources.set(frameId, source);
  }

  /**
   * Sends chunks in state `audio` ahead of the playhead and due within the delay plus
   * SEND_AHEAD_SLOTS, oldest first, as the socket allows.
   */
  #sendPending(): void {
    const link = this.#link;
    if (!link?.connected) return;
    const head = this.ring.captureHead;
    if (head < 0) return;
    const p = this.#playout.playhead;
    for (const id of this.ring.idsInState(SlotState.audio, p + 1, Math.min(head, p + this.#playout.delayMs / CHUNK_MS + SEND_AHEAD_SLOTS))) {
      if (!link.send(id, this.ring.samples(id)!)) return;
      this.ring.setState(id, SlotState.sent);
      this.#playout.sent(id, performance.now());
    }
  }

  #pumpPush(send: boolean): void {
    if (this.#t0 === undefined) return;
    // Never into the past, never more than the ring holds ahead of the playhead.
    this.#pushHead = Math.max(this.#pushHead, this.#nowSlot());
    const limit = this.#playout.playhead + this.ring.size - 1;
    while (this.#pushQueued > 0 && this.#pushHead <= limit) {
      const chunk = new Float32Array(CHUNK_SAMPLES);
      let filled = 0;
      while (filled < CHUNK_SAMPLES && this.#pushQueue.length > 0) {
        const first = this.#pushQueue[0]!;
        const n = Math.min(first.length, CHUNK_SAMPLES - filled);
        chunk.set(first.subarray(0, n), filled);
        filled += n;
        if (n === first.length) this.#pushQueue.shift();
        else this.#pushQueue[0] = first.subarray(n);
      }
      this.#pushQueued -= filled;
      const id = this.#pushHead++;
      const level = levelDb(chunk);
      this.#lastLevelDb = level;
      const evicted = this.ring.put(id, chunk, level);
      if (evicted >= 0) this.#release(evicted);
    }
    if (send) this.#sendPending();
  }

  #onTick(): void {
    const ctx = this.#context;
    if (this.#stopped || !ctx || this.#t0 === undefined) return;
    const now = performance.now();
    this.#pumpPush(false);
    const ring = this.ring;
    const tick = this.#playout.tick(ctx.currentTime * 1000, ring.captureHead, {
      level: (id) => (ring.state(id) === SlotState.empty ? undefined : ring.level(id)),
      frameReady: (id) => this.frames.get(id) !== undefined,
    });
    // Chunks handed over ahead whose plan changed: stopped before they start, then handed over
    // again as now planned.
    for (const id of tick.cancelled) this.#unschedule(id);
    for (const { id, at, rate } of tick.schedule) this.#schedulePlayback(id, at / 1000, rate);
    // What was scheduled goes to the Worker where it draws the views: it shows those slots on
    // time however long this thread is then blocked.
    const entries = this.#playout.schedule.take();
    if (entries.length && this.#link?.views) {
      const { contextTime, performanceTime } = this.#stamp(ctx);
      this.#link.views({ type: 'play', entries, stamp: [contextTime, performanceTime + performance.timeOrigin] });
    }
    this.#hear(now);
    // Frames behind the slot at the speaker have been shown. (The playhead runs ahead of the
    // speaker by the output latency: ~45 ms here, 150 ms and more on Bluetooth.)
    this.frames.deleteUpTo(this.speakerAt(now).slot - 2);
    for (const id of tick.passed) this.frames.delete(id);
    this.#checkTimeouts(now);
    this.#sendPending();
    if (this.#speaking && now - this.#lastSpeechAt > SPEECH_HANGOVER_MS) {
      this.#speaking = false;
      this.#o.onSpeaking(false);
    }
  }

  /**
   * Every slot that has reached the speaker since the last call is judged on time or late. Where
   * the Worker draws the views, only up to the time of its latest message here: an answer it
   * posted while this thread was blocked put its mouth on screen in time, and is still queued.
   */
  #hear(now: number): void {
    const link = this.#link;
    const t = this.#audioTime(link?.views ? Math.min(now, link.seen - performance.timeOrigin) : now);
    if (t === undefined) return;
    for (const id of this.#playout.hear(this.#playout.speakerAt(t).slot)) this.#play(id, now);
  }

  /** Chunk `id` is being heard now. */
  #play(id: number, now: number): void {
    const state = this.ring.state(id);
    if (state === SlotState.empty) return;
    const level = this.ring.level(id) ?? -100;
    if (state === SlotState.complete) this.#playout.noteOnTime();
    else {
      // Played without its frame: late. Its request stays awaited until the timeout; an answer
      // that comes meanwhile is counted, not drawn.
      this.#playout.noteLate(state !== SlotState.failed && level > SPEECH_DB);
      this.ring.setState(id, SlotState.failed);
    }
    if (level > SPEECH_DB) {
      this.#lastSpeechAt = now;
      if (!this.#speaking) {
        this.#speaking = true;
        this.#o.onSpeaking(true);
      }
    }
  }

  #checkTimeouts(now: number): void {
    const timeout = this.#o.config.timeout;
    for (const { id, action, attempts } of this.#playout.timeouts(now)) {
      const samples = this.ring.samples(id);
      if (action === 'retry' && samples && this.#link?.send(id, samples)) continue;
      if (this.ring.state(id) !== SlotState.complete) this.ring.setState(id, SlotState.failed);
      if (action === 'retry') this.#playout.giveUp(id);
      this.#o.onError('inference-timeout', `frame ${id}: no answer in ${attempts} × ${timeout} ms`, true);
    }
  }

  /** An answer, read (and its image decoded) by the link: what it means for playback. */
  #onAnswer(a: LinkAnswer): void {
    const bitmap = a.patch?.bitmap;
    const drop = () => bitmap?.close();
    if (this.#stopped) return drop();
    const { frameId } = a;
    const at = a.at - performance.timeOrigin;
    try {
      if (a.error?.stage === 'message') throw new ProtocolError(a.error.reason, a.error.message);
      const ok = a.status === 0;
      this.#hear(performance.now());
      const answer = this.#playout.answered(frameId, at, ok);
      // An answer to a request interrupt() gave up: dropped without complaint.
      if (answer.kind === 'dropped') return drop();
      if (answer.kind === 'stale' || answer.kind === 'unknown') {
        drop();
        throw new ProtocolError(answer.kind === 'stale' ? 'stale-id' : 'unknown-id', `frame ${frameId} ${answer.kind === 'stale' ? 'already answered or played' : 'was not asked for'}`);
      }
      if (!ok) {
        if (this.ring.state(frameId) !== SlotState.complete) this.ring.setState(frameId, SlotState.failed);
        this.#o.onError('inference-error', `frame ${frameId}: status ${a.status}${a.message ? `: ${a.message}` : ''}`, true);
        return;
      }
      // Late (its slot was heard): counted in latency and lateFrames, not drawn, no error.
      if (answer.kind === 'late') return drop();
      let placement: Placement;
      let box: Box;
      try {
        if (a.error || !a.patch) throw new ProtocolError(a.error?.reason ?? 'zip-corrupt', a.error?.message ?? 'no patch');
        placement = placePatch(a.patch, ...this.#o.videoSize());
        box = a.patch.box;
      } catch (err) {
        drop();
        // Dropped for this frame only: it stays awaited and times out as usual.
        this.#playout.restore(frameId, answer.request!);
        throw err;
      }
      // Still wanted? Not heard yet, still in the ring.
      if (frameId <= this.#playout.heard || !this.ring.has(frameId)) return drop();
      this.frames.set(frameId, { bitmap: bitmap!, placement, box });
      this.ring.setState(frameId, SlotState.complete);
      this.#framesGenerated++;
      this.#fps.add(performance.now());
      this.#o.onFrame(frameId, answer.latencyMs);
    } catch (err) {
      if (err instanceof ProtocolError) this.#o.onError('protocol-error', frameId >= 0 ? `frame ${frameId}: ${err.message}` : err.message, true);
      else throw err;
    }
  }
}
