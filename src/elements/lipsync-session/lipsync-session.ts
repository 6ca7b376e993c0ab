import { LitElement, html } from 'lit';
import { property } from 'lit/decorators.js';
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
import { createStore } from '../../core/store.js';
import { sessionContext, type LipsyncSessionContext, type SessionSnapshot, type SessionState } from '../../context/session-context.js';
import { emit } from '../events.js';
import { styles } from './lipsync-session.styles.js';

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
 * @attr {boolean} muted - Do not play the audio back.
 * @attr {"indexeddb"|"none"} cache - Where extracted video frames persist. Default `indexeddb`.
 * @attr {boolean} debug - Red box and coordinates over the composite view.
 * @attr {string} data-state - Reflects `state` (read-only): `idle`, `loading`, `ready`, `running`, `error`.
 * @attr {boolean} data-connected - Present while the server connection is open (read-only).
 *
 * @fires {CustomEvent<{state: string, previous: string}>} lipsync-state-change - The session state changed.
 * @fires {CustomEvent<{code: string, message: string, recoverable: boolean, count: number}>} lipsync-error - Something went wrong; `code` says what (`invalid-attribute`, …).
 */
export class LipsyncSessionElement extends LitElement {
  static override styles = styles;

  /** Inference server URL (`ws:` or `wss:`). */
  @property({ attribute: 'server' }) server: string = SESSION_DEFAULTS.server;
  /** Model name, sent in every request. Required. */
  @property({ attribute: 'model' }) model = '';
  /** Base URL of the model folders. */
  @property({ attribute: 'models-base' }) modelsBase: string = SESSION_DEFAULTS.modelsBase;
  /** Explicit model video URL; overrides `modelsBase`. */
  @property({ attribute: 'video-src' }) videoSrc: string | null = null;
  /** Audio input: `mic`, `file`, `stream` or `push`. */
  @property({ attribute: 'input' }) input: InputMode = SESSION_DEFAULTS.input;
  /** Audio file URL for `input="file"`. */
  @property({ attribute: 'audio-src' }) audioSrc: string | null = null;
  /** Start as soon as possible. */
  @property({ attribute: 'autostart', type: Boolean }) autostart = false;
  /** Milliseconds between capture and playback, or `'auto'`. */
  @property({ attribute: 'playback-delay', converter: playbackDelayConverter }) playbackDelay: PlaybackDelay = 'auto';
  /** Ring size in 40 ms slots. */
  @property({ attribute: 'buffer-slots', type: Number }) bufferSlots: number = SESSION_DEFAULTS.bufferSlots;
  /** Base video frames used. */
  @property({ attribute: 'max-frames', type: Number }) maxFrames: number = SESSION_DEFAULTS.maxFrames;
  /** Milliseconds before the first reconnect. */
  @property({ attribute: 'reconnect-interval', type: Number }) reconnectInterval: number = SESSION_DEFAULTS.reconnectInterval;
  /** Milliseconds before an unanswered request counts as failed. */
  @property({ attribute: 'timeout', type: Number }) timeout: number = SESSION_DEFAULTS.timeout;
  /** Do not play the audio back. */
  @property({ attribute: 'muted', type: Boolean }) muted = false;
  /** Where extracted video frames persist: `indexeddb` or `none`. */
  @property({ attribute: 'cache' }) cache: CacheMode = SESSION_DEFAULTS.cache;
  /** Red box and coordinates over the composite view. */
  @property({ attribute: 'debug', type: Boolean }) debug = false;

  readonly #store = createStore<SessionSnapshot>({
    state: 'idle',
    connected: false,
    config: SESSION_DEFAULTS,
    videoWidth: 720,
    videoHeight: 1280,
  });

  /** The context value: one object for the element's whole life. */
  readonly #context: LipsyncSessionContext = {
    getState: () => this.#store.getState(),
    subscribe: (listener) => this.#store.subscribe(listener),
  };

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

  /** The session state: `idle`, `loading`, `ready`, `running` or `error`. */
  get state(): SessionState {
    return this.#store.getState().state;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.dataset['state'] = this.state;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#errors.clear();
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
    const current = this.#store.getState().state;
    const state: SessionState = fatal ? 'error' : current === 'error' ? 'idle' : current;
    this.#store.update({ config, state });
  }

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
