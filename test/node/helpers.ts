import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

/** Mono samples of a 16-bit PCM WAV, as Float32 in [-1, 1], with its rate. */
export function readWav(path: string): { samples: Float32Array; sampleRate: number } {
  const b = readFileSync(path);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${path} is not a WAV`);
  let p = 12;
  let sampleRate = 0;
  let channels = 1;
  while (p + 8 <= b.length) {
    const id = b.toString('ascii', p, p + 4);
    const size = b.readUInt32LE(p + 4);
    if (id === 'fmt ') {
      if (b.readUInt16LE(p + 8) !== 1 || b.readUInt16LE(p + 22) !== 16) throw new Error(`${path} is not 16-bit PCM`);
      channels = b.readUInt16LE(p + 10);
      sampleRate = b.readUInt32LE(p + 12);
    } else if (id === 'data') {
      const n = Math.floor(Math.min(size, b.length - p - 8) / 2 / channels);
      const samples = new Float32Array(n);
      for (let i = 0; i < n; i++) samples[i] = b.readInt16LE(p + 8 + i * 2 * channels) / 32768;
      return { samples, sampleRate };
    }
    p += 8 + size + (size & 1);
  }
  throw new Error(`${path} has no data chunk`);
}

/** A WebSocket client that collects binary answers and waits for them with a timeout. */
export class TestClient {
  readonly ws: WebSocket;
  readonly messages: Buffer[] = [];
  closed: { code: number; reason: string } | undefined;
  readonly #waiters: Array<() => void> = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('message', (data: Buffer) => {
      this.messages.push(data);
      this.#wake();
    });
    // A reset socket reports here and then closes; the close is what tests look at.
    this.ws.on('error', () => {});
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#wake();
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  open(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('open timed out')), timeoutMs);
      this.ws.once('open', () => {
        clearTimeout(t);
        resolve();
      });
      this.ws.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
      this.ws.once('close', () => {
        clearTimeout(t);
        reject(new Error('closed before it opened'));
      });
    });
  }

  /** Resolves when `done()` holds, or rejects after `timeoutMs`. */
  async until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!done()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms (${this.messages.length} messages)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}
