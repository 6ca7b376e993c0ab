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

export interface ServerOptions {
  port: number;
  host: string;
  modelsDir: string;
  /** Added delay before each answer, ms. */
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
  latencyMs: 0,
  jitterMs: 0,
  maxFrames: 250,
  summaryEverySec: 5,
  log: (line) => console.log(line),
  random: Math.random,
};

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

export async function startServer(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const o: ServerOptions = { ...DEFAULT_OPTIONS, ...options };
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
  const pending = new Set<ReturnType<typeof setTimeout>>();

  const send = (ws: WebSocket, bytes: Uint8Array, delayMs: number, receivedAt: number) => {
    const go = () => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(bytes, { binary: true });
      windowAnswers++;
      windowTimes.push(performance.now() - receivedAt);
    };
    if (delayMs <= 0) return go();
    const timer = setTimeout(() => {
      pending.delete(timer);
      go();
    }, delayMs);
    pending.add(timer);
  };

  wss.on('connection', (ws, req) => {
    const id = nextConnection++;
    const tracker = new MouthTracker();
    let frames = 0;
    let bad = 0;
    /** With a capacity: when the connection's queue is done with what it has (performance.now()). */
    let freeAt = 0;
    o.log(`[conn ${id}] open from ${req.socket.remoteAddress}:${req.socket.remotePort}`);

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const receivedAt = performance.now();
      let delay = o.latencyMs + (o.jitterMs > 0 ? o.random() * o.jitterMs : 0);
      if (o.fps) {
        freeAt = Math.max(freeAt, receivedAt) + 1000 / o.fps;
        delay = Math.max(delay, freeAt - receivedAt);
      }
      if (!isBinary) {
        bad++;
        errors++;
        ws.close(CLOSE.unsupportedData, 'text frames are not part of the protocol');
        return;
      }
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (bytes.length < HEADER_BYTES) {
        bad++;
        errors++;
        ws.close(CLOSE.protocolError, `request of ${bytes.length} bytes has no header`);
        return;
      }
      const frameId = bytes.readUInt32LE(4);
      const fail = (status: number, message: string) => {
        bad++;
        errors++;
        send(ws, encodeResponse({ status, frameId, message }), delay, receivedAt);
      };
      try {
        const request = decodeRequest(bytes);
        o.onRequest?.(id, request);
        if (request.samples.length * 4 !== CHUNK_BYTES) {
          fail(STATUS.badRequest, `bad-audio-length: ${request.samples.length * 4} audio bytes, one chunk is ${CHUNK_BYTES}`);
          return;
        }
        const model = models.get(request.model);
        if (!model) {
          fail(STATUS.unknownModel, `unknown model "${request.model}"; this server has ${[...models.keys()].join(', ')}`);
          return;
        }
        const frame = request.frameId % Math.min(o.maxFrames, model.frames);
        const { shape } = tracker.analyze(request.frameId, request.samples);
        const jpeg = render(model, frame, shape, o.stampFrameIds ? request.frameId : undefined);
        const zip = writeFramePatch(jpeg, model.mouth[frame]!.box);
        frames++;
        answered++;
        send(ws, encodeResponse({ status: STATUS.ok, frameId: request.frameId, zip }), delay, receivedAt);
      } catch (err) {
        if (err instanceof ProtocolError) fail(STATUS.badRequest, err.message);
        else {
          o.log(`[conn ${id}] internal error: ${err instanceof Error ? err.stack : String(err)}`);
          fail(STATUS.internal, 'internal error');
        }
      }
    });
    ws.on('close', (code, reason) => {
      o.log(`[conn ${id}] closed (${code}${reason.length ? ` ${reason.toString()}` : ''}): ${frames} frames, ${bad} bad requests`);
    });
    ws.on('error', (err) => o.log(`[conn ${id}] error: ${err.message}`));
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
        for (const t of pending) clearTimeout(t);
        pending.clear();
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}
