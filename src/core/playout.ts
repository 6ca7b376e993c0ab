import { CHUNK_MS } from './protocol.js';
import { Schedule } from './schedule.js';
import { RecentValues } from './stats.js';

/** Played audio above this level (dBFS) counts as speech. */
export const SPEECH_DB = -45;
/**
 * Chunks are handed to the audio clock this long before they play (ms) — once handed over, a
 * chunk's time is fixed. A speech chunk whose frame is not here yet is handed over late, so that
 * the delay can still grow for it if its answer is slow (latency rising: a cold start)…
 */
export const LEAD_MS = 60;
/**
 * …and one that needs nothing more (its frame is here, or it is quiet) up to this early, as soon
 * as it is here: it then plays on time however long the page's main thread is blocked. A busy
 * page blocks it for 300 ms at a time (bench: `jank`); with every chunk at 60 ms each such block
 * put the chunks due in it late, and the delay grew by the lateness every time (738 → 2317 ms in
 * 10 s at the gpu profile).
 */
export const EARLY_LEAD_MS = 340;
/** `auto` before any answer has been measured. */
export const AUTO_INITIAL_DELAY_MS = 200;
/** Margin over p95 latency: decoding the image and one display refresh. */
const MARGIN_MS = 60;
/** Extra margin while fewer than `SETTLED` latencies are known. */
const UNSETTLED_MARGIN_MS = 80;
const SETTLED = 8;
const MIN_DELAY_MS = 80;
const MAX_DELAY_MS = 3000;
/** A pause is only shortened after this many quiet chunks, so word endings are never cut. */
const PAUSE_CHUNKS = 3;
/**
 * Playback rate that brings the delay down inside unbroken speech (no pause to take silence
 * from): every sample is played, 3 % faster (half a semitone), 1.2 ms gained per chunk.
 */
export const ACCELERATE = 1.03;
/** Speech is accelerated while the delay is this much above its target (ms)… */
const ACCELERATE_ABOVE_MS = 60;
/** …until it is within this much. */
const ACCELERATE_UNTIL_MS = 20;
/** Slots looked back at (answers, hearing). */
const HISTORY = 256;

/** What the playout needs to know about one slot. */
export interface SlotSource {
  /** The chunk's level in dBFS, or undefined when the slot holds no audio. */
  level(id: number): number | undefined;
  /** Whether the AI frame for `id` is ready to draw. */
  frameReady(id: number): boolean;
}

export interface Request {
  sentAt: number;
  firstSentAt: number;
  attempts: number;
}

/** How an answer relates to what was asked. */
export type AnswerKind = 'on-time' | 'late' | 'dropped' | 'stale' | 'unknown';

export interface TickResult {
  /** Chunks to start on the audio clock now: id, time (ms, audio clock) and playback rate. */
  schedule: Array<{ id: number; at: number; rate: number }>;
  /** Slots passed over since the last tick (never played: silence removed from a pause, or empty). */
  passed: number[];
}

/**
 * The jitter buffer: which chunk is heard when, how long the playback delay is, what is late.
 * A fixed `playback-delay` is kept the same way, except that speech onsets are not held.
 * Pure: no DOM, every time comes in as a number (ms). Two clocks may be used — one for requests
 * (latency), one for audio (the schedule) — they are never compared with each other.
 *
 * Chunk k is nominally captured at `anchorAt + (k − anchorId)·40 ms` and plays at that plus the
 * current offset (the playback delay). The offset changes only where nobody hears it:
 * - it grows at a quiet chunk (silence is inserted there), or before the first chunk of speech,
 *   which is held until its frame is ready — so speech starts in sync and is never cut;
 * - it shrinks across pauses, by passing over whole chunks of silence, and inside unbroken
 *   speech by playing it 3 % faster (every sample still played once);
 * - a chunk that could not be handed over in time (a blocked page) is played late, never dropped.
 * Every chunk with audio is played exactly once, in order.
 */
export class Playout {
  readonly #auto: boolean;
  readonly #fixedMs: number;
  readonly #timeoutMs: number;
  readonly #latency = new RecentValues(64);
  #lateBonusMs = 0;
  #offset: number;
  #anchorId = 0;
  #anchorAt = 0;
  #started = false;
  /** Next chunk to schedule. */
  #next = 0;
  /** Last chunk scheduled (or passed over) and whether it was speech. */
  #lastSpeech = false;
  #quietRun = 0;
  /** When recent chunks play and how long each sounds (40 ms, or less when accelerated). */
  readonly schedule = new Schedule();
  #accelerating = false;
  /** The chunk playing now (or last played); -1 before the first. */
  #playhead = -1;
  /** The last chunk that has reached the speaker (the playhead runs ahead of it by the output latency). */
  #heard = -1;
  readonly #requests = new Map<number, Request>();
  /** Requests given up by `interrupt()`: their answers are dropped without complaint. */
  readonly #dropped = new Map<number, Request>();
  lateFrames = 0;

  constructor(delay: number | 'auto', timeoutMs: number) {
    this.#auto = delay === 'auto';
    this.#fixedMs = delay === 'auto' ? 0 : delay;
    this.#offset = delay === 'auto' ? AUTO_INITIAL_DELAY_MS : delay;
    this.#timeoutMs = timeoutMs;
  }

  /** Chunk `id` is nominally captured at `at` (audio clock, ms): chunk 0 of mic/file, or pushed audio after a reset. */
  anchor(id: number, at: number): void {
    this.#anchorId = id;
    this.#anchorAt = at;
    this.#next = Math.max(this.#next, id);
    this.#started = true;
  }

  get started(): boolean {
    return this.#started;
  }

  get delayMs(): number {
    return Math.round(this.#offset);
  }

  get playhead(): number {
    return this.#playhead;
  }

  /**
   * Chunks up to `slot` (never past the playhead) have reached the speaker: an answer for one of
   * them is late. Returns the chunks heard since the last call, in order (passed-over ones are
   * never heard). Judged at the speaker, not at the playhead: the output latency — ~40 ms here,
   * 150 ms and more on Bluetooth — is time an answer still has.
   */
  hear(slot: number): number[] {
    const to = Math.min(slot, this.#playhead);
    const heard: number[] = [];
    for (let id = Math.max(this.#heard + 1, to - HISTORY); id <= to; id++) if (this.playAt(id) > -Infinity) heard.push(id);
    this.#heard = Math.max(this.#heard, to);
    return heard;
  }

  get heard(): number {
    return this.#heard;
  }

  get latency(): RecentValues {
    return this.#latency;
  }

  /** The slot whose 40 ms the capture clock is in at `now` (audio clock). */
  nowSlot(now: number): number {
    return this.#anchorId + Math.max(0, Math.floor((now - this.#anchorAt) / CHUNK_MS));
  }

  /** What the delay aims for: the fixed delay, or (`auto`) p99 latency (at most p95 + 140 ms) plus margins, within bounds. */
  target(): number {
    if (!this.#auto) return this.#fixedMs;
    if (this.#latency.size === 0) return AUTO_INITIAL_DELAY_MS;
    const margin = MARGIN_MS + (this.#latency.size < SETTLED ? UNSETTLED_MARGIN_MS : 0);
    // p99 where the tail is short (jitter, batches); never more than p95 + 140 ms for a long one.
    const latency = Math.min(this.#latency.percentile(99), this.#latency.percentile(95) + 140 - margin);
    return Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, latency + margin + this.#lateBonusMs));
  }

  /** When chunk `id` plays (audio clock), or NaN when not scheduled (yet, or passed over). */
  playAt(id: number): number {
    return this.schedule.playAt(id);
  }

  /** The chunk at the speaker at `t` (audio clock): see `Schedule.speakerAt`. */
  speakerAt(t: number): { slot: number; sounding: boolean } {
    return this.schedule.speakerAt(t);
  }

  /**
   * Advances to `now` (audio clock): hands over the chunks due within LEAD_MS, holding speech
   * onsets for their frames, growing or shrinking the delay at quiet chunks; reports the chunks
   * whose time has come. `captureHead`: the newest chunk that has arrived.
   */
  tick(now: number, captureHead: number, slots: SlotSource): TickResult {
    const schedule: Array<{ id: number; at: number; rate: number }> = [];
    const passed: number[] = [];
    if (this.#started) {
      // Bounded: at most a ring's worth of chunks per tick.
      for (let n = 0; n < 500 && this.#next <= captureHead; n++) {
        const id = this.#next;
        const nominal = this.#anchorAt + (id - this.#anchorId) * CHUNK_MS;
        const level = slots.level(id);
        const quiet = level === undefined || level <= SPEECH_DB;
        const target = this.target();
        let rate = 1;
        if (!quiet && this.#lastSpeech && target <= this.#offset) {
          // More delay than needed and no pause to take it from: play a little faster.
          this.#accelerating = this.#offset - target > (this.#accelerating ? ACCELERATE_UNTIL_MS : ACCELERATE_ABOVE_MS);
          if (this.#accelerating) rate = ACCELERATE;
        } else this.#accelerating = false;
        if (quiet) {
          // Grow in silence; shorten a pause by whole chunks of it.
          if (target > this.#offset) this.#offset = target;
          else if (this.#quietRun >= PAUSE_CHUNKS && this.#offset - CHUNK_MS >= target + 10) {
            this.#offset -= CHUNK_MS;
            this.#pass(id);
            continue;
          }
        } else if (this.#lastSpeech && target > this.#offset) {
          // Frames come late in the middle of speech: grow at the quietest chunk boundary in
          // reach (this one, unless the next one known is quieter).
          const next = slots.level(id + 1);
          if (next === undefined || level! <= next) this.#offset = target;
        } else if (!this.#lastSpeech) {
          // Speech onset: held until its frame is ready (while it can still come), then started
          // no sooner than the delay needs.
          if (this.#auto && this.#requests.has(id) && !slots.frameReady(id) && now - nominal < Math.min(MAX_DELAY_MS, this.#timeoutMs)) break;
          this.#offset = Math.max(this.#offset, target);
        }
        let at = nominal + this.#offset;
        if (at - now > (quiet || slots.frameReady(id) ? EARLY_LEAD_MS : LEAD_MS)) break;
        if (at < now + 5) {
          // An empty slot already past: nothing to lose.
          if (level === undefined) {
            this.#pass(id);
            continue;
          }
          // Too late to be heard in its place (a held onset, a blocked page): played a little
          // later than planned rather than lost.
          this.#offset += now + 5 - at;
          at = now + 5;
        }
        this.#record(id, at, CHUNK_MS / rate);
        // The next chunk starts when this one ends.
        this.#offset -= CHUNK_MS - CHUNK_MS / rate;
        if (level !== undefined) schedule.push({ id, at, rate });
        this.#lastSpeech = !quiet;
        this.#quietRun = quiet ? this.#quietRun + 1 : 0;
        this.#next++;
      }
    }
    // The playhead: every chunk whose start has come.
    for (let id = this.#playhead + 1; id <= this.schedule.last; id++) {
      const at = this.playAt(id);
      if (at > now) break;
      if (at === -Infinity) passed.push(id);
      this.#playhead = id;
    }
    return { schedule, passed };
  }

  #record(id: number, at: number, duration: number): void {
    this.schedule.record(id, at, duration);
  }

  /** Slot `id` is passed over: never played (silence or nothing). */
  #pass(id: number): void {
    this.#record(id, -Infinity, 0);
    this.#lastSpeech = false;
    this.#quietRun++;
    this.#next++;
  }

  /** Slot `id` started playing without its frame; `speech`: it was audible. */
  noteLate(speech: boolean): void {
    this.lateFrames++;
    if (speech && this.#auto) this.#lateBonusMs = Math.min(400, this.#lateBonusMs + 20);
  }

  /** A slot played with its frame: the late bonus wears off. */
  noteOnTime(): void {
    this.#lateBonusMs = Math.max(0, this.#lateBonusMs - 2);
  }

  /** A request for `id` left at `at` (request clock). */
  sent(id: number, at: number): void {
    this.#requests.set(id, { sentAt: at, firstSentAt: at, attempts: 1 });
  }

  /** Requests lost with the connection: they will be sent again. */
  forgetRequests(): number[] {
    const ids = [...this.#requests.keys()];
    this.#requests.clear();
    return ids;
  }

  /** A timed-out request that could not be sent again: given up. */
  giveUp(id: number): void {
    this.#requests.delete(id);
  }

  /** A request whose answer turned out malformed: awaited again (it times out as usual). */
  restore(id: number, request: Request): void {
    this.#requests.set(id, request);
  }

  /**
   * An answer for `id` came at `at` (request clock). On time or late, its latency counts (so
   * `auto` learns latencies above its own delay) and the request is done; `dropped` answers a
   * request given up by `interrupt()`; `stale` / `unknown` are protocol errors.
   */
  answered(id: number, at: number, statusOk: boolean): { kind: AnswerKind; latencyMs: number; request?: Request } {
    const dropped = this.#dropped.get(id);
    if (dropped) {
      this.#dropped.delete(id);
      return { kind: 'dropped', latencyMs: at - dropped.firstSentAt };
    }
    const request = this.#requests.get(id);
    if (!request) return { kind: id <= this.#playhead || id < this.#next ? 'stale' : 'unknown', latencyMs: NaN };
    this.#requests.delete(id);
    const latencyMs = at - request.firstSentAt;
    if (statusOk) this.#latency.add(latencyMs);
    return { kind: id <= this.#heard ? 'late' : 'on-time', latencyMs, request };
  }

  /**
   * Requests unanswered after the timeout at `now` (request clock): `retry` (sent once more,
   * while the slot is still ahead of the playhead) or `fail` (reported, also when already heard).
   */
  timeouts(now: number): Array<{ id: number; action: 'retry' | 'fail'; attempts: number }> {
    const out: Array<{ id: number; action: 'retry' | 'fail'; attempts: number }> = [];
    for (const [id, r] of this.#requests) {
      if (now - r.sentAt < this.#timeoutMs) continue;
      if (r.attempts === 1 && id > this.#playhead) {
        r.attempts = 2;
        r.sentAt = now;
        out.push({ id, action: 'retry', attempts: 2 });
      } else {
        this.#requests.delete(id);
        out.push({ id, action: 'fail', attempts: r.attempts });
      }
    }
    return out;
  }

  /**
   * Barge-in at `now` (audio clock): everything after the playhead is dropped — its schedule and
   * its requests (their answers will be dropped; the engine stops what it started). The next
   * speech starts at `nextId` (ids never go back), heard after the current delay; with
   * `reanchor` (pushed audio) its nominal time is now.
   */
  interrupt(now: number, nextId: number, reanchor: boolean): void {
    for (let id = this.#playhead + 1; id <= this.schedule.last; id++) this.schedule.record(id, NaN, 0);
    for (const [id, r] of this.#requests) {
      if (id <= this.#playhead) continue;
      this.#dropped.set(id, r);
      this.#requests.delete(id);
    }
    // Bounded: answers that never come are not waited for forever.
    for (const id of this.#dropped.keys()) if (this.#dropped.size > 1000) this.#dropped.delete(id);
    // The dropped ids will never play: the playhead moves past them.
    this.#playhead = Math.max(this.#playhead, nextId - 1);
    this.schedule.last = this.#playhead;
    this.#next = nextId;
    if (reanchor) this.anchor(nextId, now);
    this.#lastSpeech = false;
    this.#quietRun = 0;
  }
}
