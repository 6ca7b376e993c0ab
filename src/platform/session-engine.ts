import type { SessionConfig } from '../core/config.js';
import { ProtocolError, type LipsyncErrorCode } from '../core/errors.js';
import { FrameStore } from '../core/frame-store.js';
import { placePatch, readFramePatch, type Box, type Placement } from '../core/frame-patch.js';
import { CHUNK_MS, CHUNK_SAMPLES, SAMPLE_RATE, createRequestEncoder, decodeResponse, isFrameResponse } from '../core/protocol.js';
import { Resampler } from '../core/resampler.js';
import { SlotRing, SlotState } from '../core/ring.js';
import { RateCounter, RecentValues, levelDb } from '../core/stats.js';
import { autoDelayTarget, contextToPerformance, heardAt, performanceToContext, slotHeardAt, stepDelay } from '../core/clock.js';
import { AudioCapture } from './audio-capture.js';
import { Transport } from './transport.js';

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
}

/** Delay used by `playback-delay="auto"` until latency has been measured. */
export const AUTO_INITIAL_DELAY_MS = 200;
/** How often the engine looks at the clock: sends, timeouts, playhead. */
const TICK_MS = 20;
/** Most unsent bytes the socket may hold: ~1 s of requests. */
const MAX_BUFFERED_BYTES = 25 * 4096;
/**
 * Chunks are sent when they are due to be heard within the playback delay plus this much
 * (in 40 ms slots), not sooner: a server works through what it was sent in order, and what
 * `interrupt()` drops cannot be taken back from its queue.
 */
const SEND_AHEAD_SLOTS = 10;
/** Played audio above this level counts as speech. */
const SPEECH_DB = -45;
/** Speech ends after this much quiet. */
const SPEECH_HANGOVER_MS = 240;

interface Inflight {
  sentAt: number;
  firstSentAt: number;
  attempts: number;
}

/**
 * One running session: capture → ring → transport → frame store, on the AudioContext clock.
 * Chunk k is heard at `t0 + k·40 ms + delay`; the playhead is the chunk being heard now.
 */
export class SessionEngine {
  readonly ring: SlotRing;
  readonly frames = new FrameStore<AiFrame>((f) => f.bitmap.close());
  readonly #o: EngineOptions;
  readonly #encode: (frameId: number, samples: Float32Array) => Uint8Array;
  readonly #transport: Transport;
  readonly #inflight = new Map<number, Inflight>();
  /**
   * Requests given up by `interrupt()`, by id, until their answer comes: that answer is dropped
   * without complaint, even when the id has been reused for new speech meanwhile.
   */
  readonly #dropped = new Map<number, Inflight>();
  readonly #latency = new RecentValues(256);
  readonly #syncError = new RecentValues(256);
  /** Extra delay `auto` adds after frames came too late for speech. */
  #lateBonusMs = 0;
  readonly #fps = new RateCounter();
  readonly #sources = new Map<number, AudioBufferSourceNode>();
  #context: AudioContext | undefined;
  #ownsContext = false;
  #capture: AudioCapture | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;
  /** Context time (s) of the start of chunk 0; undefined until capture delivers it. */
  #t0: number | undefined;
  #startedAt = 0;
  #delayMs: number;
  #playhead = -1;
  #framesGenerated = 0;
  #lateFrames = 0;
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
    this.#encode = createRequestEncoder(options.config.model);
    this.#delayMs = options.config.playbackDelay === 'auto' ? AUTO_INITIAL_DELAY_MS : options.config.playbackDelay;
    this.#transport = new Transport({
      url: options.config.server,
      reconnectIntervalMs: options.config.reconnectInterval,
      maxBufferedBytes: MAX_BUFFERED_BYTES,
      random: options.random ?? Math.random,
      onOpen: (attempt) => {
        this.#o.onConnection(true, attempt);
        this.#sendPending();
      },
      onClose: ({ wasOpen, attempt, code, reason }) => {
        // Answers to what was in flight died with the socket: send those chunks again.
        for (const id of this.#inflight.keys()) this.ring.setState(id, SlotState.audio);
        this.#inflight.clear();
        if (wasOpen) this.#o.onConnection(false, 0);
        else this.#o.onError('server-unreachable', `cannot connect to ${options.config.server} (attempt ${attempt}${code ? `, code ${code}` : ''}${reason ? `: ${reason}` : ''})`, true);
      },
      onMessage: (data) => this.#onMessage(data),
    });
  }

  /** The AudioContext in use (for playback scheduling and the clock). */
  get context(): AudioContext | undefined {
    return this.#context;
  }

  /** The chunk being heard now (-1 before the first). */
  get playhead(): number {
    return this.#playhead;
  }

  get playbackDelayMs(): number {
    return this.#delayMs;
  }

  /**
   * The slot whose audio is at the speaker at `now` (a performance.now() time), from the
   * context's output timestamp; -1 before the first chunk is heard.
   */
  slotOnSpeaker(now: number): number {
    const ctx = this.#context;
    if (!ctx || this.#t0 === undefined) return -1;
    const stamp = ctx.getOutputTimestamp();
    const t = stamp.contextTime && stamp.performanceTime ? performanceToContext(now, stamp as Required<AudioTimestamp>) : ctx.currentTime - (ctx.outputLatency || 0);
    return slotHeardAt(t, this.#t0, this.#delayMs);
  }

  /**
   * A view put slot `frameId` on screen at `now`: records first-frame time and the sync error
   * (screen time minus the time its audio reached the speaker).
   */
  notePresented(frameId: number, now: number, withAiFrame: boolean): void {
    const ctx = this.#context;
    if (!ctx || this.#t0 === undefined) return;
    if (withAiFrame) this.#firstFrameMs ??= now - this.#startedAt;
    const stamp = ctx.getOutputTimestamp();
    if (!stamp.contextTime || !stamp.performanceTime) return;
    const audioAt = contextToPerformance(heardAt(frameId, this.#t0, this.#delayMs), stamp as Required<AudioTimestamp>);
    this.#syncError.add(Math.abs(now - audioAt));
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
    // Resolves at once where audio may start; where a gesture is needed it waits for one.
    void this.#context.resume();
    this.#transport.connect();
    if (config.input === 'push') {
      this.#t0 = this.#context.currentTime;
      this.#pushHead = 0;
    } else {
      this.#capture = await AudioCapture.open({
        context: this.#context,
        input: config.input,
        audioSrc: config.audioSrc,
        srcObject: this.#o.srcObject,
        workletUrl: this.#o.workletUrl,
        onChunk: (m) => {
          this.#t0 ??= m.startTime;
          this.#onChunk(m.index, m.samples);
        },
        onEnded: () => {},
      });
    }
    // Stopped while the input was opening: release what just opened.
    if (this.#stopped) return this.#capture?.stop();
    this.#tick = setInterval(() => this.#onTick(), TICK_MS);
  }

  /** Releases everything: capture, socket, timers, scheduled audio, bitmaps, and its own context. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#tick);
    this.#capture?.stop();
    this.#transport.close();
    for (const s of this.#sources.values()) this.#stopSource(s);
    this.#sources.clear();
    this.frames.clear();
    this.#inflight.clear();
    this.#pushQueue = [];
    this.#pushQueued = 0;
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
    const from = this.#playhead + 1;
    this.#pushQueue = [];
    this.#pushQueued = 0;
    this.#pushResampler = undefined;
    for (let id = from; id <= this.ring.captureHead; id++) {
      const request = this.#inflight.get(id);
      if (request) this.#dropped.set(id, request);
      this.#release(id);
      this.ring.clear(id);
    }
    this.#pushHead = this.#nowSlot() + 1;
    // Bounded: answers older than two rings are not waited for.
    for (const id of this.#dropped.keys()) if (this.#dropped.size > this.ring.size * 2) this.#dropped.delete(id);
  }

  metrics(): SessionMetrics {
    const p = this.#playhead;
    const head = this.ring.captureHead;
    return {
      audioBufferFill: head > p ? this.ring.count(p + 1, head, SlotState.audio, SlotState.sent, SlotState.complete, SlotState.failed) : 0,
      frameBufferFill: head > p ? this.ring.count(p + 1, head, SlotState.complete) : 0,
      framesGenerated: this.#framesGenerated,
      fps: this.#fps.perSecond(performance.now()),
      latencyMs: this.#latency.size ? { p50: this.#latency.percentile(50), p95: this.#latency.percentile(95) } : { p50: null, p95: null },
      audioLevelDb: this.#lastLevelDb,
      lateFrames: this.#lateFrames,
      syncErrorMs: this.#syncError.size ? this.#syncError.percentile(95) : null,
      firstFrameMs: this.#firstFrameMs,
      playbackDelayMs: this.#delayMs,
      reconnects: this.#transport.reconnects,
      bytesSent: this.#transport.bytesSent,
      bytesReceived: this.#transport.bytesReceived,
    };
  }

  /** The slot whose 40 ms the capture clock is in now. */
  #nowSlot(): number {
    if (this.#t0 === undefined || !this.#context) return 0;
    return Math.max(0, Math.floor(((this.#context.currentTime - this.#t0) * 1000) / CHUNK_MS));
  }

  #onChunk(frameId: number, samples: Float32Array): void {
    if (this.#stopped) return;
    const level = levelDb(samples);
    this.#lastLevelDb = level;
    const evicted = this.ring.put(frameId, samples, level);
    if (evicted >= 0) this.#release(evicted);
    this.#schedulePlayback(frameId);
    this.#sendPending();
  }

  #release(frameId: number): void {
    this.frames.delete(frameId);
    this.#inflight.delete(frameId);
    const s = this.#sources.get(frameId);
    if (s) {
      this.#stopSource(s);
      this.#sources.delete(frameId);
    }
  }

  #stopSource(source: AudioBufferSourceNode): void {
    try {
      source.stop();
    } catch {
      // not started yet
    }
    source.disconnect();
  }

  /** Schedules chunk `frameId` to be heard at t0 + k·40 ms + delay, sample-accurately. */
  #schedulePlayback(frameId: number): void {
    const ctx = this.#context;
    const samples = this.ring.samples(frameId);
    if (this.#o.config.muted || !ctx || this.#t0 === undefined || !samples) return;
    const when = this.#t0 + (frameId * CHUNK_MS + this.#delayMs) / 1000;
    if (when < ctx.currentTime) return; // too late to be heard in its place
    const buffer = ctx.createBuffer(1, CHUNK_SAMPLES, SAMPLE_RATE);
    buffer.copyToChannel(samples, 0);
    const source = ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(ctx.destination);
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
    if (!this.#transport.connected) return;
    const head = this.ring.captureHead;
    if (head < 0) return;
    const p = this.#playhead;
    for (const id of this.ring.idsInState(SlotState.audio, p + 1, Math.min(head, p + this.#delayMs / CHUNK_MS + SEND_AHEAD_SLOTS))) {
      const samples = this.ring.samples(id)!;
      const bytes = this.#encode(id, samples);
      if (!this.#transport.send(bytes)) return;
      const now = performance.now();
      this.ring.setState(id, SlotState.sent);
      this.#inflight.set(id, { sentAt: now, firstSentAt: now, attempts: 1 });
    }
  }

  #pumpPush(send: boolean): void {
    if (this.#t0 === undefined) return;
    // Never into the past, never more than the ring holds ahead of the playhead.
    this.#pushHead = Math.max(this.#pushHead, this.#nowSlot());
    const limit = this.#playhead + this.ring.size - 1;
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
      this.#schedulePlayback(id);
    }
    if (send) this.#sendPending();
  }

  #onTick(): void {
    if (this.#stopped || !this.#context || this.#t0 === undefined) return;
    const now = performance.now();
    const heard = Math.floor(((this.#context.currentTime - this.#t0) * 1000 - this.#delayMs) / CHUNK_MS);
    for (let id = this.#playhead + 1; id <= heard; id++) this.#play(id, now);
    this.#playhead = Math.max(this.#playhead, heard);
    // Frames behind the slot at the speaker have been shown. (The playhead runs ahead of the
    // speaker by the output latency: ~45 ms here, 150 ms and more on Bluetooth.)
    this.frames.deleteUpTo(this.slotOnSpeaker(now) - 2);
    this.#checkTimeouts(now);
    this.#adaptDelay();
    this.#pumpPush(false);
    this.#sendPending();
    if (this.#speaking && now - this.#lastSpeechAt > SPEECH_HANGOVER_MS) {
      this.#speaking = false;
      this.#o.onSpeaking(false);
    }
  }

  /**
   * `playback-delay="auto"`: moves the delay towards measured latency, only while nothing
   * audible is queued (so no speech is cut or stretched) and never moving the playhead back.
   */
  #adaptDelay(): void {
    if (this.#o.config.playbackDelay !== 'auto' || this.#latency.size < 5 || this.#speaking) return;
    const target = autoDelayTarget(this.#latency.percentile(95), this.#lateBonusMs);
    if (target === this.#delayMs) return;
    const head = this.ring.captureHead;
    for (let id = this.#playhead + 1; id <= head; id++) if ((this.ring.level(id) ?? -100) > SPEECH_DB) return;
    this.#delayMs = stepDelay(this.#delayMs, target);
  }

  /** Chunk `id` is being heard now. */
  #play(id: number, now: number): void {
    const state = this.ring.state(id);
    if (state === SlotState.empty) return;
    const level = this.ring.level(id) ?? -100;
    if (state === SlotState.audio || state === SlotState.sent) {
      // Played without its frame: it is late, and given up. Speech that misses its frame asks
      // the auto delay for more room.
      this.#lateFrames++;
      if (level > SPEECH_DB) this.#lateBonusMs = Math.min(1000, this.#lateBonusMs + 20);
      this.ring.setState(id, SlotState.failed);
      this.#inflight.delete(id);
    } else if (state === SlotState.failed) {
      this.#lateFrames++;
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
    for (const [id, f] of this.#inflight) {
      if (now - f.sentAt < timeout) continue;
      const samples = this.ring.samples(id);
      if (f.attempts === 1 && samples && this.#transport.send(this.#encode(id, samples))) {
        f.attempts = 2;
        f.sentAt = now;
        continue;
      }
      this.#inflight.delete(id);
      this.ring.setState(id, SlotState.failed);
      this.#o.onError('inference-timeout', `frame ${id}: no answer in ${f.attempts} × ${timeout} ms`, true);
    }
  }

  #onMessage(data: ArrayBuffer | string): void {
    let frameId = -1;
    try {
      const response = decodeResponse(data);
      frameId = response.frameId;
      // Answers come in order: while an interrupted request on this id is unanswered, this is its answer.
      if (this.#dropped.delete(frameId)) return;
      const inflight = this.#inflight.get(frameId);
      if (!inflight) {
        const answered = this.ring.state(frameId) === SlotState.complete || frameId <= this.#playhead;
        throw new ProtocolError(answered ? 'stale-id' : 'unknown-id', `frame ${frameId} ${answered ? 'already answered or played' : 'was not asked for'}`);
      }
      if (!isFrameResponse(response)) {
        this.#inflight.delete(frameId);
        this.ring.setState(frameId, SlotState.failed);
        this.#o.onError('inference-error', `frame ${frameId}: status ${response.status}${response.message ? `: ${response.message}` : ''}`, true);
        return;
      }
      void this.#accept(frameId, response.zip, inflight);
    } catch (err) {
      // The frame stays in flight: it times out and is retried as usual.
      if (err instanceof ProtocolError) this.#o.onError('protocol-error', frameId >= 0 ? `frame ${frameId}: ${err.message}` : err.message, true);
      else throw err;
    }
  }

  /** Opens an OK answer's ZIP and decodes its image off the message handler. */
  async #accept(frameId: number, zip: Uint8Array, request: Inflight): Promise<void> {
    try {
      const patch = await readFramePatch(zip);
      const placement = placePatch(patch, ...this.#o.videoSize());
      await this.#decode(frameId, patch.image, patch.info.type, patch.box, placement, request);
    } catch (err) {
      if (err instanceof ProtocolError) this.#o.onError('protocol-error', `frame ${frameId}: ${err.message}`, true);
      else throw err;
    } finally {
      // Interrupted while this answer was being handled: it was the answer awaited.
      if (this.#dropped.get(frameId) === request) this.#dropped.delete(frameId);
    }
  }

  async #decode(frameId: number, image: Uint8Array, type: string, box: Box, placement: Placement, request: Inflight): Promise<void> {
    const latencyMs = performance.now() - request.firstSentAt;
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(new Blob([image as BlobPart], { type }));
    } catch {
      this.#o.onError('protocol-error', `frame ${frameId}: the ${type} image does not decode`, true);
      return;
    }
    // Still wanted? Not stopped, not interrupted (the id may carry a new request now), not played.
    if (this.#stopped || this.#inflight.get(frameId) !== request || frameId <= this.#playhead) {
      bitmap.close();
      return;
    }
    this.#inflight.delete(frameId);
    this.frames.set(frameId, { bitmap, placement, box });
    this.ring.setState(frameId, SlotState.complete);
    this.#framesGenerated++;
    this.#latency.add(latencyMs);
    this.#fps.add(performance.now());
    this.#o.onFrame(frameId, latencyMs);
  }
}

