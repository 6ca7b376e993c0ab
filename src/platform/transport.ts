import { reconnectCap, reconnectDelay } from '../core/backoff.js';

export interface TransportOptions {
  url: string;
  /** Delay before the first reconnect, ms; grows from there. */
  reconnectIntervalMs: number;
  /** Most bytes the socket may hold unsent before `send` refuses (backpressure). */
  maxBufferedBytes: number;
  random: () => number;
  onOpen(attempt: number): void;
  /** `wasOpen` is false when an attempt failed without ever opening. */
  onClose(info: { wasOpen: boolean; code: number; reason: string; attempt: number }): void;
  onMessage(data: ArrayBuffer | string): void;
}

/** A binary WebSocket that reconnects with capped exponential backoff and jitter. */
export class Transport {
  readonly #o: TransportOptions;
  #ws: WebSocket | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Failed attempts in a row. */
  #failures = 0;
  #closed = false;
  #everOpened = false;
  bytesSent = 0;
  bytesReceived = 0;
  reconnects = 0;

  constructor(options: TransportOptions) {
    this.#o = options;
  }

  get connected(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  connect(): void {
    this.#closed = false;
    this.#open();
  }

  #open(): void {
    if (this.#closed) return;
    let ws: WebSocket | undefined;
    let refused = '';
    try {
      ws = new WebSocket(this.#o.url);
      // Blocked by the page's Content-Security-Policy (connect-src), Chromium hands back a socket
      // already closed that fires `error` but never `close`.
      if (ws.readyState === WebSocket.CLOSED) refused = 'refused by the browser (not allowed by the page\'s Content-Security-Policy connect-src?)';
    } catch (err) {
      refused = `invalid URL (${err instanceof Error ? err.message : String(err)})`;
    }
    if (refused || !ws) {
      // A URL the browser refuses outright counts as a failed attempt.
      this.#failures++;
      this.#scheduleReconnect();
      this.#o.onClose({ wasOpen: false, code: 1006, reason: refused, attempt: this.#failures });
      return;
    }
    const socket = ws;
    socket.binaryType = 'arraybuffer';
    let opened = false;
    socket.onopen = () => {
      opened = true;
      const attempt = this.#failures;
      if (this.#everOpened) this.reconnects++;
      this.#everOpened = true;
      this.#failures = 0;
      this.#o.onOpen(attempt);
    };
    socket.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      this.bytesReceived += typeof e.data === 'string' ? e.data.length : e.data.byteLength;
      this.#o.onMessage(e.data);
    };
    socket.onclose = (e) => {
      if (this.#ws !== socket) return;
      this.#ws = undefined;
      if (!opened) this.#failures++;
      if (!this.#closed) this.#scheduleReconnect();
      this.#o.onClose({ wasOpen: opened, code: e.code, reason: e.reason, attempt: this.#failures });
    };
    this.#ws = socket;
  }

  #scheduleReconnect(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    const delay = reconnectDelay(this.#failures, this.#o.reconnectIntervalMs, reconnectCap(this.#o.reconnectIntervalMs), this.#o.random);
    this.#timer = setTimeout(() => this.#open(), delay);
  }

  /** Sends unless the socket is closed or would hold more than its bound unsent; returns whether it did. */
  send(message: Uint8Array): boolean {
    const ws = this.#ws;
    if (ws?.readyState !== WebSocket.OPEN || ws.bufferedAmount + message.byteLength > this.#o.maxBufferedBytes) return false;
    ws.send(message);
    this.bytesSent += message.byteLength;
    return true;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      ws.close(1000, 'session stopped');
    }
  }
}
