// The session's network Worker (a module Worker): the socket, the request codec, reading answers.
// The capture worklet posts chunks straight here; each is sent at once, whatever the page's main
// thread is doing, and then handed on to the session (which plays it and keeps the books).
import { createRequestEncoder } from '../core/protocol.js';
import type { WorkletMessage } from './capture-worklet.js';
import { epochNow, readAnswer } from './net-answer.js';
import type { FromNetWorker, NetWorkerMessage, ToNetWorker } from './net-link.js';
import { Transport } from './transport.js';
import { WorkerViews } from './worker-views.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent<ToNetWorker>) => void) | null;
  postMessage(m: FromNetWorker, transfer?: Transferable[]): void;
  close(): void;
}
const scope = globalThis as unknown as WorkerScope;
// Each message says when it left (the session judges what was heard by it: see `NetLink.seen`).
const post = (m: NetWorkerMessage, transfer: Transferable[] = []) => scope.postMessage({ ...m, t: epochNow() }, transfer);

let transport: Transport | undefined;
let encode: ((frameId: number, samples: Float32Array) => Uint8Array) | undefined;
let statsTimer: ReturnType<typeof setInterval> | undefined;
/**
 * The newest id sent (here or for the session). A captured chunk goes out at once only when it is
 * the next one: one captured while the socket was closed is the session's to send (oldest first,
 * SPEC §1), and a newer chunk must not overtake it (the server once saw 1 before 0 at start-up).
 */
let lastSent = -1;
const send = (id: number, samples: Float32Array) => {
  const sent = Boolean(transport?.send(encode!(id, samples)));
  if (sent) lastSent = Math.max(lastSent, id);
  return sent;
};
/** The session's views, where it has them drawn here. */
let views: WorkerViews | undefined;

const counts = () => ({ bytesSent: transport?.bytesSent ?? 0, bytesReceived: transport?.bytesReceived ?? 0, reconnects: transport?.reconnects ?? 0 });
// The counts ride on every chunk and answer; this covers quiet times (and moves `seen` on: 10 Hz).
const stats = () => post({ type: 'stats', ...counts() });

scope.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'init') {
    encode = createRequestEncoder(m.options.model);
    transport = new Transport({
      ...m.options,
      random: Math.random,
      onOpen: (attempt) => post({ type: 'open', attempt }),
      onClose: (info) => post({ type: 'close', info }),
      onMessage: (data) =>
        void readAnswer(data, epochNow()).then((answer) => {
          const p = answer.patch;
          // The views drawn here keep a copy (made before the image goes to the session, which
          // keeps the books and draws where a view cannot be handed over).
          if (p && views?.drawing) void createImageBitmap(p.bitmap).then((bitmap) => (views ? views.patch(answer.frameId, { bitmap, info: p.info, box: p.box, at: answer.at }) : bitmap.close()), () => {});
          post({ type: 'answer', answer, stats: counts() }, p ? [p.bitmap] : []);
        }),
    });
    m.capture.onmessage = (c: MessageEvent<WorkletMessage>) => {
      if (c.data.type !== 'chunk') return;
      const chunk = c.data;
      let sentAt: number | null = null;
      if (m.autoSend && chunk.index === lastSent + 1 && transport?.connected && send(chunk.index, chunk.samples)) sentAt = epochNow();
      post({ type: 'chunk', chunk, sentAt, stats: counts() }, [chunk.samples.buffer]);
    };
    statsTimer = setInterval(stats, 100);
    transport.connect();
    post({ type: 'ready' });
  } else if (m.type === 'view' || m.type === 'video' || m.type === 'play') {
    (views ??= new WorkerViews((list) => post({ type: 'presented', list }))).take(m);
  } else if (m.type === 'send') {
    if (!send(m.frameId, m.samples)) post({ type: 'unsent', frameId: m.frameId });
  } else {
    clearInterval(statsTimer);
    views?.close();
    views = undefined;
    stats();
    transport?.close();
    scope.close();
  }
};
