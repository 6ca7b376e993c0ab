/**
 * The reference inference server: SPEC §1's server side over a real WebSocket, with the
 * project's own codec. Each request's audio drives a lip shape; the answer is the mouth patch
 * of base frame `frameId % F` (JPEG) and its box, zipped.
 */
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { createCanvas, type Canvas } from '@napi-rs/canvas';
import type { AddressInfo } from 'node:net';
import { CHUNK_BYTES, decodeRequest, encodeResponse, HEADER_BYTES, type InferenceRequest } from '../../src/core/protocol.js';
import { ProtocolError } from '../../src/core/errors.js';
import { writeFramePatch } from '../../src/core/frame-patch-writer.js';
import { drawMouth, type MouthShape } from '../avatar/face.js';
import { loadModels, type Model } from './models.js';
import { loadVisemeModel, MouthTracker } from './mouth-tracker.js';

/** Response status codes of this server (anything ≠ 0 is an error for that frame). */
export const STATUS = { ok: 0, badRequest: 1, unknownModel: 2, internal: 3 } as const;
/** WebSocket close codes for what cannot be answered per frame. */
export const CLOSE = { unsupportedData: 1003, protocolError: 1002 } as const;

/**
 * How the server's "model" behaves in time. `instant` answers each request as it comes (2 ms on
 * loopback); `gpu` behaves like a Wav2Lip/SyncTalk-class model on one GPU (SPEC §1): frame k
 * needs the audio up to chunk k+lookahead (or 120 ms with no newer chunk), then waits for the one
 * inference queue that every connection shares, where whatever is ready runs as one batch.
 */
export interface ModelTiming {
  /** Chunks after k that frame k needs before it can be drawn. */
  lookahead: number;
  /** With no newer chunk for this long, frames still waiting are drawn with silence after them. */
  flushMs: number;
  /** Time of one inference batch, ms (0: no queue, answer at once). */
  inferMs: number;
  /** Random extra time per batch, uniform in [0, inferJitterMs). */
  inferJitterMs: number;
  /** Extra time per frame in a batch beyond the first, ms. */
  frameMs: number;
  /** Most frames in one batch. */
  batch: number;
}

export const PROFILES = {
  instant: { lookahead: 0, flushMs: 120, inferMs: 0, inferJitterMs: 0, frameMs: 0, batch: 1 },
  gpu: { lookahead: 7, flushMs: 120, inferMs: 140, inferJitterMs: 40, frameMs: 2, batch: 32 },
} as const satisfies Record<string, ModelTiming>;
export type ProfileName = keyof typeof PROFILES;

export interface ServerOptions extends ModelTiming {
  port: number;
  host: string;
  modelsDir: string;
  /** Name of the timing profile the options started from (for logs and the demo page). */
  profile: ProfileName;
  /** Added delay before each answer leaves, ms (a slow network, on top of the model's time). */
  latencyMs: number;
  /** Random extra delay, uniform in [0, jitter), ms. */
  jitterMs: number;
  /**
   * Capacity, frames per second per connection (0: unlimited): requests are answered in order,
   * each taking 1/fps of the connection's time, like a GPU working through its queue.
   */
  fps?: number;
  /** Base frames used: F = min(maxFrames, frames in the model). */
  maxFrames: number;
  /** Seconds between summary lines; 0 turns them off. */
  summaryEverySec: number;
  log: (line: string) => void;
  random: () => number;
  /** Called with every valid request, before it is answered (tests record what arrives). */
  onRequest?: (connection: number, request: InferenceRequest) => void;
  /**
   * Paints each patch with its frame id instead of a mouth (see `stampColours`), so a bench can
   * read from screen pixels which frame is shown.
   */
  stampFrameIds?: boolean;
}

/**
 * The flat colours a stamped patch is painted with: its top half codes `frameId mod 64` as two
 * bits per channel (levels 0, 85, 170, 255), its bottom half the complement (255 − each), so a
 * reader can tell a stamp from the face behind it. Flat areas survive JPEG within a few levels.
 */
export function stampColours(frameId: number): { top: [number, number, number]; bottom: [number, number, number] } {
  const code = frameId & 63;
  const top: [number, number, number] = [((code >> 4) & 3) * 85, ((code >> 2) & 3) * 85, (code & 3) * 85];
  return { top, bottom: [255 - top[0], 255 - top[1], 255 - top[2]] };
}

export const DEFAULT_OPTIONS: ServerOptions = {
  port: 8084,
  host: '127.0.0.1',
  modelsDir: 'demo/models',
  profile: 'instant',
  ...PROFILES.instant,
  latencyMs: 0,
  jitterMs: 0,
  maxFrames: 250,
  summaryEverySec: 5,
  log: (line) => console.log(line),
  random: Math.random,
};

/** Options from a profile, then the given overrides (a `profile` among them picks the profile). */
export function resolveOptions(options: Partial<ServerOptions> = {}): ServerOptions {
  const profile = options.profile ?? DEFAULT_OPTIONS.profile;
  return { ...DEFAULT_OPTIONS, ...PROFILES[profile], ...options, profile };
}

/** One line that says how the server behaves (its log prints it; the demo page shows it). */
export function describeTiming(o: ServerOptions): string {
  const model = o.inferMs > 0
    ? `look-ahead ${o.lookahead} chunks, inference ${o.inferMs}${o.inferJitterMs ? `–${o.inferMs + o.inferJitterMs}` : ''} ms a batch of up to ${o.batch}, shared by all connections`
    : o.lookahead > 0 ? `look-ahead ${o.lookahead} chunks, no inference time` : 'answers at once';
  const network = [o.latencyMs || o.jitterMs ? `+${o.latencyMs}${o.jitterMs ? `–${o.latencyMs + o.jitterMs}` : ''} ms latency` : '', o.fps ? `${o.fps} frames/s per connection` : ''].filter(Boolean);
  return `profile ${o.profile}: ${model}${network.length ? `; ${network.join(', ')}` : ''}`;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Answers sent, per connection id; for tests and the summary. */
  stats(): { clients: number; answered: number; errors: number };
  close(): Promise<void>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Draws the lip shape over the frame's bare crop and encodes the patch as JPEG. */
function makePatchRenderer() {
  const canvases = new Map<string, Canvas>();
  return (model: Model, frame: number, shape: MouthShape, stampId?: number): Buffer => {
    const key = `${model.patchWidth}x${model.patchHeight}`;
    let canvas = canvases.get(key);
    if (!canvas) {
      canvas = createCanvas(model.patchWidth, model.patchHeight);
      canvases.set(key, canvas);
    }
    const ctx = canvas.getContext('2d');
    const pose = model.mouth[frame]!;
    ctx.drawImage(model.crops[frame]!, 0, 0);
    ctx.save();
    ctx.translate(-pose.box[0], -pose.box[1]);
    drawMouth(ctx as unknown as CanvasRenderingContext2D, pose, shape);
    ctx.restore();
    if (stampId !== undefined) {
      const { top, bottom } = stampColours(stampId);
      const half = Math.floor(model.patchHeight / 2);
      ctx.fillStyle = `rgb(${top.join(',')})`;
      ctx.fillRect(0, 0, model.patchWidth, half);
      ctx.fillStyle = `rgb(${bottom.join(',')})`;
      ctx.fillRect(0, half, model.patchWidth, model.patchHeight - half);
    }
    return canvas.toBuffer('image/jpeg', 85);
  };
}

/** A request whose frame the model has yet to draw. */
interface Job {
  conn: Connection;
  frameId: number;
  model: Model;
  receivedAt: number;
}

interface Connection {
  readonly id: number;
  readonly ws: WebSocket;
  readonly tracker: MouthTracker;
  /** Requests waiting for their look-ahead chunks, oldest first. */
  waiting: Job[];
  /** Newest id received. */
  newest: number;
  flush: ReturnType<typeof setTimeout> | undefined;
  /** With a capacity (fps): when the connection's queue is done with what it has. */
  freeAt: number;
  frames: number;
  bad: number;
}

export async function startServer(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const o = resolveOptions(options);
  await loadVisemeModel();
  const models = await loadModels(o.modelsDir);
  if (models.size === 0) throw new Error(`no model folders (with model.json) in ${o.modelsDir}`);
  const render = makePatchRenderer();

  const wss = new WebSocketServer({ host: o.host, port: o.port, maxPayload: 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const port = (wss.address() as AddressInfo).port;
  const url = `ws://${o.host}:${port}`;

  let nextConnection = 1;
  let answered = 0;
  let errors = 0;
  let windowAnswers = 0;
  let windowTimes: number[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
    return timer;
  };
  const cancel = (timer: ReturnType<typeof setTimeout> | undefined) => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timers.delete(timer);
  };

  /** Sends after the network's delay (latency, jitter, per-connection capacity). */
  const send = (conn: Connection, bytes: Uint8Array, receivedAt: number) => {
    const now = performance.now();
    let delay = o.latencyMs + (o.jitterMs > 0 ? o.random() * o.jitterMs : 0);
    if (o.fps) {
      conn.freeAt = Math.max(conn.freeAt, now) + 1000 / o.fps;
      delay = Math.max(delay, conn.freeAt - now);
    }
    const go = () => {
      if (conn.ws.readyState !== conn.ws.OPEN) return;
      conn.ws.send(bytes, { binary: true });
      windowAnswers++;
      windowTimes.push(performance.now() - receivedAt);
    };
    if (delay <= 0) go();
    else later(delay, go);
  };

  /** Draws frame `job.frameId` from the audio around it and sends it. */
  const answer = (job: Job) => {
    const { conn, model, frameId } = job;
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    const frame = frameId % Math.min(o.maxFrames, model.frames);
    const shape = conn.tracker.shape(frameId, Math.max(o.lookahead, 2), o.lookahead);
    const jpeg = render(model, frame, shape, o.stampFrameIds ? frameId : undefined);
    const zip = writeFramePatch(jpeg, model.mouth[frame]!.box);
    conn.frames++;
    answered++;
    send(conn, encodeResponse({ status: STATUS.ok, frameId, zip }), job.receivedAt);
  };

  // The one inference queue of the "GPU": whatever is ready when it frees up runs as a batch.
  const queue: Job[] = [];
  let busy = false;
  const runBatch = () => {
    if (busy || queue.length === 0) return;
    const batch = queue.splice(0, o.batch);
    busy = true;
    const ms = o.inferMs + (o.inferJitterMs > 0 ? o.random() * o.inferJitterMs : 0) + o.frameMs * (batch.length - 1);
    later(ms, () => {
      busy = false;
      for (const job of batch) answer(job);
      runBatch();
    });
  };
  const ready = (jobs: Job[]) => {
    if (o.inferMs <= 0) return jobs.forEach(answer);
    queue.push(...jobs);
    runBatch();
  };
  /** Frames whose look-ahead has arrived go to inference; with `all`, every waiting frame. */
  const release = (conn: Connection, all: boolean) => {
    const go = all ? conn.waiting : conn.waiting.filter((j) => j.frameId + o.lookahead <= conn.newest);
    if (go.length === 0) return;
    conn.waiting = all ? [] : conn.waiting.filter((j) => j.frameId + o.lookahead > conn.newest);
    ready(go);
  };

  wss.on('connection', (ws, req) => {
    const conn: Connection = { id: nextConnection++, ws, tracker: new MouthTracker(), waiting: [], newest: -1, flush: undefined, freeAt: 0, frames: 0, bad: 0 };
    o.log(`[conn ${conn.id}] open from ${req.socket.remoteAddress}:${req.socket.remotePort}`);

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const receivedAt = performance.now();
      if (!isBinary) {
        conn.bad++;
        errors++;
        ws.close(CLOSE.unsupportedData, 'text frames are not part of the protocol');
        return;
      }
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (bytes.length < HEADER_BYTES) {
        conn.bad++;
        errors++;
        ws.close(CLOSE.protocolError, `request of ${bytes.length} bytes has no header`);
        return;
      }
      const frameId = bytes.readUInt32LE(4);
      const fail = (status: number, message: string) => {
        conn.bad++;
        errors++;
        send(conn, encodeResponse({ status, frameId, message }), receivedAt);
      };
      try {
        const request = decodeRequest(bytes);
        o.onRequest?.(conn.id, request);
        if (request.samples.length * 4 !== CHUNK_BYTES) {
          fail(STATUS.badRequest, `bad-audio-length: ${request.samples.length * 4} audio bytes, one chunk is ${CHUNK_BYTES}`);
          return;
        }
        const model = models.get(request.model);
        if (!model) {
          fail(STATUS.unknownModel, `unknown model "${request.model}"; this server has ${[...models.keys()].join(', ')}`);
          return;
        }
        conn.tracker.add(frameId, request.samples);
        conn.waiting.push({ conn, frameId, model, receivedAt });
        if (frameId > conn.newest) {
          conn.newest = frameId;
          cancel(conn.flush);
          conn.flush = undefined;
        }
        release(conn, o.lookahead === 0);
        // No newer chunk for flushMs: the speech has ended (or paused); draw what waits.
        if (conn.waiting.length > 0 && conn.flush === undefined) {
          conn.flush = later(o.flushMs, () => {
            conn.flush = undefined;
            release(conn, true);
          });
        }
      } catch (err) {
        if (err instanceof ProtocolError) fail(STATUS.badRequest, err.message);
        else {
          o.log(`[conn ${conn.id}] internal error: ${err instanceof Error ? err.stack : String(err)}`);
          fail(STATUS.internal, 'internal error');
        }
      }
    });
    ws.on('close', (code, reason) => {
      cancel(conn.flush);
      conn.waiting = [];
      for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.conn === conn) queue.splice(i, 1);
      o.log(`[conn ${conn.id}] closed (${code}${reason.length ? ` ${reason.toString()}` : ''}): ${conn.frames} frames, ${conn.bad} bad requests`);
    });
    ws.on('error', (err) => o.log(`[conn ${conn.id}] error: ${err.message}`));
  });

  const summary =
    o.summaryEverySec > 0
      ? setInterval(() => {
          if (wss.clients.size === 0 && windowAnswers === 0) return;
          const sorted = windowTimes.sort((a, b) => a - b);
          o.log(
            `[summary] clients=${wss.clients.size} frames/s=${(windowAnswers / o.summaryEverySec).toFixed(1)} ` +
              `answer p50=${percentile(sorted, 50).toFixed(1)}ms p95=${percentile(sorted, 95).toFixed(1)}ms errors=${errors}`,
          );
          windowAnswers = 0;
          windowTimes = [];
        }, o.summaryEverySec * 1000)
      : undefined;
  summary?.unref();

  return {
    url,
    port,
    stats: () => ({ clients: wss.clients.size, answered, errors }),
    close: () =>
      new Promise<void>((resolve) => {
        if (summary) clearInterval(summary);
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}
