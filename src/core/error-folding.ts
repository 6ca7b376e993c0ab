import type { LipsyncErrorCode } from './errors.js';

/** What a `lipsync-error` event carries. */
export interface ErrorReport {
  code: LipsyncErrorCode;
  message: string;
  recoverable: boolean;
  /** How many occurrences this one report stands for (> 1 when repeats were folded). */
  count: number;
}

export interface ErrorFolderOptions {
  /** Emits a report. */
  emit: (report: ErrorReport) => void;
  now: () => number;
  /** Schedules `fn` after `ms`; returns a cancel function. */
  schedule: (fn: () => void, ms: number) => () => void;
  /** Shortest time between two reports of one code. */
  windowMs?: number;
}

const MAX_MESSAGE = 500;

/**
 * Folds repeats of one error code: the first occurrence is reported at once, later ones within
 * the window are counted and reported together when it closes (at most one report per code per
 * window, SPEC §2). Distinct messages are kept, joined, up to a bounded length.
 */
export class ErrorFolder {
  readonly #options: ErrorFolderOptions;
  readonly #windowMs: number;
  readonly #lastEmit = new Map<LipsyncErrorCode, number>();
  readonly #pending = new Map<LipsyncErrorCode, { report: ErrorReport; cancel: () => void }>();

  constructor(options: ErrorFolderOptions) {
    this.#options = options;
    this.#windowMs = options.windowMs ?? 250;
  }

  report(code: LipsyncErrorCode, message: string, recoverable = true): void {
    const now = this.#options.now();
    const pending = this.#pending.get(code);
    if (pending) {
      pending.report.count++;
      pending.report.recoverable &&= recoverable;
      // Distinct messages are kept (an invalid attribute must not hide another), within bounds.
      if (!pending.report.message.includes(message) && pending.report.message.length < MAX_MESSAGE) pending.report.message += `; ${message}`;
      return;
    }
    const last = this.#lastEmit.get(code);
    if (last === undefined || now - last >= this.#windowMs) {
      this.#lastEmit.set(code, now);
      this.#options.emit({ code, message, recoverable, count: 1 });
      return;
    }
    const entry = { report: { code, message, recoverable, count: 1 }, cancel: () => {} };
    entry.cancel = this.#options.schedule(() => this.#flush(code), last + this.#windowMs - now);
    this.#pending.set(code, entry);
  }

  #flush(code: LipsyncErrorCode): void {
    const entry = this.#pending.get(code);
    if (!entry) return;
    this.#pending.delete(code);
    this.#lastEmit.set(code, this.#options.now());
    this.#options.emit(entry.report);
  }

  /** Drops what is waiting (on teardown). */
  clear(): void {
    for (const entry of this.#pending.values()) entry.cancel();
    this.#pending.clear();
  }
}
