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

/** A chunk to start on the audio clock: id, time (ms, audio clock) and playback rate. */
export interface Handed {
  id: number;
  at: number;
  rate: number;
}

/** What the playout has decided so far: the next chunk, the delay, and what the next decision depends on. */
interface Plan {
  next: number;
  /** The playback delay (ms). */
  offset: number;
  /** The last chunk scheduled (or passed over) was speech. */
  lastSpeech: boolean;
  quietRun: number;
  accelerating: boolean;
}

/** A chunk handed over ahead (`at` -Infinity: passed over), and the plan after it. */
interface Tentative {
  id: number;
  at: number;
  rate: number;
  /** It holds audio (a source was started for it). */
  audio: boolean;
  plan: Plan;
}

export interface TickResult {
  /** Chunks to start on the audio clock now (after those in `cancelled` are stopped). */
  schedule: Handed[];
  /** Chunks handed over ahead whose start is withdrawn (before it comes): stop them. */
  cancelled: number[];
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
  /** What is decided for good. */
  #plan: Plan;
  #anchorId = 0;
  #anchorAt = 0;
  #started = false;
  /**
   * When recent chunks play and how long each sounds (40 ms, or less when accelerated): those
   * decided, then those handed over ahead (`Tentative`).
   */
  readonly schedule = new Schedule();
  /** The last chunk decided for good (scheduled or passed over). */
  #decided = -1;
  /** Chunks handed to the audio clock ahead, in order (passed-over ones too), revised at every tick. */
  #ahead: Tentative[] = [];
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
    this.#plan = { next: 0, offset: delay === 'auto' ? AUTO_INITIAL_DELAY_MS : delay, lastSpeech: false, quietRun: 0, accelerating: false };
    this.#timeoutMs = timeoutMs;
  }

  /** Chunk `id` is nominally captured at `at` (audio clock, ms): chunk 0 of mic/file, or pushed audio after a reset. */
  anchor(id: number, at: number): void {
    this.#anchorId = id;
    this.#anchorAt = at;
    this.#plan.next = Math.max(this.#plan.next, id);
    this.#started = true;
  }

  get started(): boolean {
    return this.#started;
  }

  get delayMs(): number {
    return Math.round(this.#plan.offset);
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
   * Advances to `now` (audio clock): hands over the chunks due within LEAD_MS (EARLY_LEAD_MS for
   * those that need nothing more), holding speech onsets for their frames, growing or shrinking
   * the delay at quiet chunks; reports the chunks whose time has come. `captureHead`: the newest
   * chunk that has arrived.
   *
   * Chunks after one that is not due yet are handed over all the same up to EARLY_LEAD_MS ahead,
   * as they would play were nothing to change (`tentative`): a blocked page's audio then goes on.
   * Each tick revises them (`cancelled`, then handed over again) until they are LEAD_MS ahead;
   * then they stand as handed over — also when the page was blocked past their time: they played.
   */
  tick(now: number, captureHead: number, slots: SlotSource): TickResult {
    const schedule: Handed[] = [];
    const cancelled: number[] = [];
    const passed: number[] = [];
    if (this.#started) {
      // Those handed over ahead and now due (or past) stand.
      let n = 0;
      for (; n < this.#ahead.length && this.#ahead[n]!.at - now <= LEAD_MS; n++) {
        const t = this.#ahead[n]!;
        this.#plan = t.plan;
        this.#decided = t.id;
        if (t.at === -Infinity) this.schedule.record(t.id, -Infinity, 0);
      }
      const before = new Map<number, Tentative>();
      for (const t of this.#ahead.slice(n)) if (t.at > -Infinity) before.set(t.id, t);
      this.#ahead = [];
      // A chunk no longer planned as it was handed over: its start is withdrawn.
      const withdraw = (id: number, keep?: { at: number; rate: number }) => {
        const old = before.get(id);
        before.delete(id);
        if (old && keep && old.at === keep.at && old.rate === keep.rate) return false;
        if (old?.audio) cancelled.push(id);
        return true;
      };
      let p = this.#plan;
      let ahead = false;
      // Bounded: at most a ring's worth of chunks per tick.
      for (let k = 0; k < 500 && p.next <= captureHead; k++) {
        const id = p.next;
        const nominal = this.#anchorAt + (id - this.#anchorId) * CHUNK_MS;
        const level = slots.level(id);
        const quiet = level === undefined || level <= SPEECH_DB;
        const target = this.target();
        let rate = 1;
        if (!quiet && p.lastSpeech && target <= p.offset) {
          // More delay than needed and no pause to take it from: play a little faster.
          p.accelerating = p.offset - target > (p.accelerating ? ACCELERATE_UNTIL_MS : ACCELERATE_ABOVE_MS);
          if (p.accelerating) rate = ACCELERATE;
        } else p.accelerating = false;
        if (quiet) {
          // Grow in silence; shorten a pause by whole chunks of it.
          if (target > p.offset) p.offset = target;
          else if (p.quietRun >= PAUSE_CHUNKS && p.offset - CHUNK_MS >= target + 10) {
            p.offset -= CHUNK_MS;
            this.#pass(p, id, ahead, withdraw);
            continue;
          }
        } else if (p.lastSpeech && target > p.offset) {
          // Frames come late in the middle of speech: grow at the quietest chunk boundary in
          // reach (this one, unless the next one known is quieter).
          const next = slots.level(id + 1);
          if (next === undefined || level! <= next) p.offset = target;
        } else if (!p.lastSpeech) {
          // Speech onset: held until its frame is ready (while it can still come), then started
          // no sooner than the delay needs.
          if (this.#auto && this.#requests.has(id) && !slots.frameReady(id) && now - nominal < Math.min(MAX_DELAY_MS, this.#timeoutMs)) break;
          p.offset = Math.max(p.offset, target);
        }
        let at = nominal + p.offset;
        if (at - now > EARLY_LEAD_MS) break;
        if (!ahead && at - now > (quiet || slots.frameReady(id) ? EARLY_LEAD_MS : LEAD_MS)) {
          // Not due yet (its frame may still come late, and the delay grow for it): from here
          // on, handed over ahead.
          ahead = true;
          p = { ...p };
        }
        if (at < now + 5) {
          // An empty slot already past: nothing to lose.
          if (level === undefined) {
            this.#pass(p, id, false, withdraw);
            continue;
          }
          // Too late to be heard in its place (a held onset, a blocked page): played a little
          // later than planned rather than lost.
          p.offset += now + 5 - at;
          at = now + 5;
        }
        const duration = CHUNK_MS / rate;
        // The next chunk starts when this one ends.
        p.offset -= CHUNK_MS - duration;
        p.lastSpeech = !quiet;
        p.quietRun = quiet ? p.quietRun + 1 : 0;
        p.next++;
        if (ahead) this.#ahead.push({ id, at, rate, audio: level !== undefined, plan: { ...p } });
        else {
          this.#decide(id, at, duration);
          if (withdraw(id, { at, rate }) && level !== undefined) schedule.push({ id, at, rate });
        }
      }
      let last = this.#decided;
      for (const t of this.#ahead) {
        if (t.at === -Infinity) continue;
        last = t.id;
        if (!withdraw(t.id, t)) continue;
        this.schedule.record(t.id, t.at, CHUNK_MS / t.rate);
        if (t.audio) schedule.push({ id: t.id, at: t.at, rate: t.rate });
      }
      for (const id of before.keys()) {
        withdraw(id);
        this.schedule.record(id, NaN, 0);
      }
      this.schedule.last = last;
    }
    // The playhead: every chunk decided whose start has come.
    for (let id = this.#playhead + 1; id <= this.#decided; id++) {
      const at = this.playAt(id);
      if (at > now) break;
      if (at === -Infinity) passed.push(id);
      this.#playhead = id;
    }
    return { schedule, cancelled, passed };
  }

  #decide(id: number, at: number, duration: number): void {
    this.schedule.record(id, at, duration);
    this.#decided = id;
  }

  /** Slot `id` is passed over: never played (silence or nothing); `ahead`: for now. */
  #pass(p: Plan, id: number, ahead: boolean, withdraw: (id: number) => boolean): void {
    p.lastSpeech = false;
    p.quietRun++;
    p.next++;
    if (ahead) this.#ahead.push({ id, at: -Infinity, rate: 1, audio: false, plan: { ...p } });
    else {
      withdraw(id);
      this.#decide(id, -Infinity, 0);
    }
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
    if (!request) return { kind: id <= this.#playhead || id < this.#plan.next ? 'stale' : 'unknown', latencyMs: NaN };
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
    this.#ahead = [];
    for (const [id, r] of this.#requests) {
      if (id <= this.#playhead) continue;
      this.#dropped.set(id, r);
      this.#requests.delete(id);
    }
    // Bounded: answers that never come are not waited for forever.
    for (const id of this.#dropped.keys()) if (this.#dropped.size > 1000) this.#dropped.delete(id);
    // The dropped ids will never play: the playhead moves past them.
    this.#playhead = Math.max(this.#playhead, nextId - 1);
    this.schedule.last = this.#decided = this.#playhead;
    this.#plan.next = nextId;
    if (reanchor) this.anchor(nextId, now);
    this.#plan.lastSpeech = false;
    this.#plan.quietRun = 0;
  }
}
