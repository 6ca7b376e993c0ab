import { createRequestEncoder } from '../core/protocol.js';
import type { WorkletMessage } from './capture-worklet.js';
import { epochNow, readAnswer, type LinkAnswer } from './net-answer.js';
import { moduleWorkerUrl } from './script-urls.js';
import { Transport } from './transport.js';
import type { ToWorkerViews } from './worker-views.js';

/** What the network side tells the session. Times are ms since the epoch (see `epochNow`). */
export interface LinkEvents {
  onOpen(attempt: number): void;
  onClose(info: { wasOpen: boolean; code: number; reason: string; attempt: number }): void;
  onAnswer(answer: LinkAnswer): void;
  /**
   * A captured chunk that came through the link (the Worker link: the capture worklet posts to
   * it directly). `sentAt` says when it was sent to the server, null when it was not (closed).
   */
  onChunk(chunk: Extract<WorkletMessage, { type: 'chunk' }>, sentAt: number | null): void;
  /** The link could not send a request it was given (backpressure): it is the session's again. */
  onUnsent(frameId: number): void;
  /** Slots the Worker put on screen (flat: slot, ms since the epoch, 1 with its AI frame / 0); see `NetLink.views`. */
  onPresented(list: number[]): void;
}

export interface LinkOptions {
  url: string;
  model: string;
  reconnectIntervalMs: number;
  maxBufferedBytes: number;
  random: () => number;
}

/** The network side of a session: the socket, the codec, reading answers. */
export interface NetLink {
  /** The socket is open (as last reported: the Worker link learns it by message). */
  readonly connected: boolean;
  /** Where the capture worklet should post its chunks, when the link takes them directly. */
  readonly capturePort: MessagePort | undefined;
  connect(): void;
  /** Sends a request; false when it surely was not sent (closed, backpressure). */
  send(frameId: number, samples: Float32Array): boolean;
  stats(): LinkStats;
  /**
   * Everything the link learnt up to this time (ms since the epoch) has reached the session:
   * the Worker link's messages wait while the page's main thread is blocked, and say when they
   * were sent. Infinity for the link on the main thread.
   */
  readonly seen: number;
  /** The Worker link only: hands the session's views, its video and its schedule to the Worker, which then draws them (`WorkerViews`). */
  views?(m: ToWorkerViews, transfer?: Transferable[]): void;
  close(): void;
}

export interface LinkStats {
  bytesSent: number;
  bytesReceived: number;
  reconnects: number;
}

/** The network on the main thread: where no Worker starts. */
export class LocalLink implements NetLink {
  readonly capturePort = undefined;
  readonly seen = Infinity;
  readonly #transport: Transport;
  readonly #encode: (frameId: number, samples: Float32Array) => Uint8Array;

  constructor(o: LinkOptions, events: LinkEvents) {
    this.#encode = createRequestEncoder(o.model);
    this.#transport = new Transport({
      url: o.url,
      reconnectIntervalMs: o.reconnectIntervalMs,
      maxBufferedBytes: o.maxBufferedBytes,
      random: o.random,
      onOpen: (attempt) => events.onOpen(attempt),
      onClose: (info) => events.onClose(info),
      onMessage: (data) => void readAnswer(data, epochNow()).then((a) => events.onAnswer(a)),
    });
  }

  get connected(): boolean {
    return this.#transport.connected;
  }

  connect(): void {
    this.#transport.connect();
  }

  send(frameId: number, samples: Float32Array): boolean {
    return this.#transport.send(this.#encode(frameId, samples));
  }

  stats() {
    const t = this.#transport;
    return { bytesSent: t.bytesSent, bytesReceived: t.bytesReceived, reconnects: t.reconnects };
  }

  close(): void {
    this.#transport.close();
  }
}

/** Messages between the session and its network Worker. */
export type ToNetWorker =
  | { type: 'init'; options: Omit<LinkOptions, 'random'>; autoSend: boolean; capture: MessagePort }
  | { type: 'send'; frameId: number; samples: Float32Array }
  | ToWorkerViews
  | { type: 'close' };

/** What the network Worker posts, with when it posted it (`t`, ms since the epoch). */
export type FromNetWorker = NetWorkerMessage & { t: number };

export type NetWorkerMessage =
  | { type: 'ready' }
  | { type: 'open'; attempt: number }
  | { type: 'close'; info: { wasOpen: boolean; code: number; reason: string; attempt: number } }
  | { type: 'answer'; answer: LinkAnswer; stats: LinkStats }
  | { type: 'chunk'; chunk: Extract<WorkletMessage, { type: 'chunk' }>; sentAt: number | null; stats: LinkStats }
  | { type: 'unsent'; frameId: number }
  | { type: 'presented'; list: number[] }
  | { type: 'stats'; bytesSent: number; bytesReceived: number; reconnects: number };


const READY_TIMEOUT_MS = 3000;

/**
 * The network in a Worker: the capture worklet posts chunks straight to it over a MessagePort
 * and it sends them at once, so a busy main thread does not hold requests back; it reads the
 * answers (ZIP, image decode) and transfers the bitmaps. Resolves undefined where the Worker
 * does not start (the caller then uses a `LocalLink`).
 */
export async function startWorkerLink(o: LinkOptions, events: LinkEvents, autoSend: boolean, override?: string | null): Promise<NetLink | undefined> {
  if (typeof Worker === 'undefined') return undefined;
  let worker: Worker;
  try {
    worker = new Worker(override || moduleWorkerUrl('./lipsync-net-worker.js'), { type: 'module', name: 'lipsync-net' });
  } catch {
    return undefined;
  }
  const channel = new MessageChannel();
  let connected = false;
  let seen = -Infinity;
  let stats: LinkStats = { bytesSent: 0, bytesReceived: 0, reconnects: 0 };
  const ready = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
    worker.onerror = (e) => {
      e.preventDefault();
      clearTimeout(timer);
      resolve(false);
    };
    worker.onmessage = (e: MessageEvent<FromNetWorker>) => {
      const m = e.data;
      seen = m.t;
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(true);
      } else if (m.type === 'open') {
        connected = true;
        events.onOpen(m.attempt);
      } else if (m.type === 'close') {
        connected = false;
        events.onClose(m.info);
      } else if (m.type === 'answer') events.onAnswer(m.answer);
      else if (m.type === 'chunk') events.onChunk(m.chunk, m.sentAt);
      else if (m.type === 'unsent') events.onUnsent(m.frameId);
      else if (m.type === 'presented') events.onPresented(m.list);
      else stats = { bytesSent: m.bytesSent, bytesReceived: m.bytesReceived, reconnects: m.reconnects };
      if ('stats' in m && m.stats) stats = m.stats;
    };
  });
  const post = (m: ToNetWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);
  post({ type: 'init', options: { url: o.url, model: o.model, reconnectIntervalMs: o.reconnectIntervalMs, maxBufferedBytes: o.maxBufferedBytes }, autoSend, capture: channel.port2 }, [channel.port2]);
  if (!(await ready)) {
    worker.terminate();
    return undefined;
  }
  return {
    get connected() {
      return connected;
    },
    capturePort: channel.port1,
    get seen() {
      return seen;
    },
    connect: () => {},
    send(frameId, samples) {
      if (!connected) return false;
      post({ type: 'send', frameId, samples: samples.slice() });
      return true;
    },
    stats: () => stats,
    // Where a canvas can be handed to a Worker.
    ...('transferControlToOffscreen' in HTMLCanvasElement.prototype ? { views: post } : {}),
    close() {
      post({ type: 'close' });
      // Its socket closes cleanly first; the Worker ends itself.
      setTimeout(() => worker.terminate(), 1000);
      channel.port1.close();
    },
  };
}
