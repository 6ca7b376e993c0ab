import { executeServerCommand } from '@web/test-runner-commands';
import type { LipsyncSessionElement } from '../../src/index.js';

export interface ServerHandle {
  url: string;
  port: number;
}

export interface Received {
  connection?: number;
  frameId: number;
  samples?: number[];
  at: number;
}

export interface ServerStartOptions {
  /** The reference server's timing profile: `instant` (~2 ms, the default here) or `gpu` (look-ahead + a shared inference queue, 400–700 ms). */
  profile?: 'instant' | 'gpu';
  lookahead?: number;
  inferMs?: number;
  inferJitterMs?: number;
  latencyMs?: number;
  jitterMs?: number;
  fps?: number;
  record?: boolean;
  port?: number;
}

export function startServer(options: ServerStartOptions = {}): Promise<ServerHandle> {
  return executeServerCommand<ServerHandle, object>('lipsync-server', { action: 'start', ...options }) as Promise<ServerHandle>;
}

export function startFaultServer(kind: string, options: { jpeg?: string; delayMs?: number } = {}): Promise<ServerHandle> {
  return executeServerCommand<ServerHandle, object>('lipsync-server', { action: 'start-fault', kind, ...options }) as Promise<ServerHandle>;
}

export async function stopServer(port: number): Promise<void> {
  await executeServerCommand('lipsync-server', { action: 'stop', port });
}

export function restartServer(port: number, downMs = 0): Promise<ServerHandle> {
  return executeServerCommand<ServerHandle, object>('lipsync-server', { action: 'restart', port, downMs }) as Promise<ServerHandle>;
}

export async function received(port: number): Promise<Received[]> {
  return ((await executeServerCommand('lipsync-server', { action: 'received', port })) ?? []) as Received[];
}

/** Polls `condition` every 25 ms; rejects with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collects every event of `names` the element fires, in order. */
export function record(el: HTMLElement, ...names: string[]): Array<{ type: string; detail: any; at: number }> {
  const log: Array<{ type: string; detail: any; at: number }> = [];
  for (const name of names) el.addEventListener(name, (e) => log.push({ type: name, detail: (e as CustomEvent).detail, at: performance.now() }));
  return log;
}

export function createSession(attributes: Record<string, string>): LipsyncSessionElement {
  const el = document.createElement('lipsync-session');
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  return el;
}

/** A real JPEG from the browser's encoder, base64, for the fault servers' answers. */
export async function jpegBase64(width = 100, height = 80): Promise<string> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#a33';
  ctx.fillRect(0, 0, width, height);
  const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg' })).arrayBuffer());
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Samples the server received, in frame-id order, one after another. */
export function receivedSamples(got: Received[]): Float32Array {
  const sorted = [...got].sort((a, b) => a.frameId - b.frameId);
  const out = new Float32Array(sorted.length * 960);
  sorted.forEach((r, i) => out.set(r.samples!, i * 960));
  return out;
}

/** Best normalised correlation of `actual` against `expected` over lags within ±`maxLag`, away from the edges. */
export function bestCorrelation(expected: Float32Array, actual: Float32Array, maxLag = 480): { r: number; lag: number } {
  let best = { r: -1, lag: 0 };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 2000; i < expected.length - 2000; i++) {
      const x = expected[i]!;
      const y = actual[i + lag] ?? 0;
      xy += x * y;
      xx += x * x;
      yy += y * y;
    }
    const r = xy / Math.sqrt(xx * yy);
    if (r > best.r) best = { r, lag };
  }
  return best;
}

/** The file decoded and resampled to 24 kHz by the browser, as the reference. */
export async function decodedAt24k(url: string): Promise<Float32Array> {
  const decoded = await new OfflineAudioContext(1, 1, 24000).decodeAudioData(await (await fetch(url)).arrayBuffer());
  return decoded.getChannelData(0);
}
