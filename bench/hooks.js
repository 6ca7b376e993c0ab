// Timing observers for the bench page. They record when things happen (chunks leaving the
// worklet, requests sent, answers arriving, frames ready, animation frames, long tasks) and
// pass everything through unchanged.
(() => {
  const B = (window.__bench = { chunks: new Map(), sends: new Map(), arrivals: new Map(), ready: [], rafs: 0, longTasks: [], workerShown: [] });
  // Presentation (on while `B.screen.on`): what the first composite canvas shows at each animation
  // frame, read from its pixels — the bench's server stamps each patch with its frame id — and
  // when each chunk's audio was scheduled to reach the speaker. Chunks are told apart by their
  // samples (`fingerprints`: a few sample values → chunk index, -1 where two chunks share them).
  const P = (B.screen = { on: false, shown: [], audio: [], fingerprints: new Map() });
  const fingerprint = (s) => `${s[0]}|${s[191]}|${s[383]}|${s[575]}|${s[767]}|${s[959]}`;

  const NativeWS = window.WebSocket;
  const nativeSend = NativeWS.prototype.send;
  NativeWS.prototype.send = function (data) {
    if (data instanceof Uint8Array && data.byteLength >= 16) {
      const id = new DataView(data.buffer, data.byteOffset, 16).getUint32(4, true);
      if (!B.sends.has(id)) B.sends.set(id, performance.now());
    }
    return nativeSend.call(this, data);
  };
  window.WebSocket = class extends NativeWS {
    constructor(...args) {
      super(...args);
      // Registered before the transport's onmessage, so it sees the arrival first.
      this.addEventListener('message', (e) => {
        if (e.data instanceof ArrayBuffer && e.data.byteLength >= 16) B.arrivals.set(new DataView(e.data).getUint32(4, true), performance.now());
      });
    }
  };

  // A captured chunk, seen where it reaches the main thread (from the worklet, or forwarded by
  // the network Worker with the time it was sent).
  let audioContext;
  const onChunk = (chunk, sentAt) => {
    if (!audioContext) return;
    // The context clock has moved (currentTime − endTime) since the chunk's last sample.
    const now = performance.now();
    B.chunks.set(chunk.index, now - (audioContext.currentTime - chunk.endTime) * 1000);
    if (typeof sentAt === 'number' && !B.sends.has(chunk.index)) B.sends.set(chunk.index, sentAt - performance.timeOrigin);
    if (P.on) {
      const fp = fingerprint(chunk.samples);
      P.fingerprints.set(fp, P.fingerprints.has(fp) ? -1 : chunk.index);
    }
  };
  const NativeNode = window.AudioWorkletNode;
  window.AudioWorkletNode = class extends NativeNode {
    constructor(context, name, options) {
      super(context, name, options);
      audioContext = context;
      this.port.addEventListener('message', (e) => {
        if (e.data && e.data.type === 'chunk') onChunk(e.data, null);
      });
    }
  };
  // The session's network Worker: its socket is not the page's, so sends and arrivals are read
  // from what it tells the page (times since the epoch).
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(url, options) {
      super(url, options);
      if (options?.name !== 'lipsync-net') return;
      this.addEventListener('message', (e) => {
        const m = e.data;
        if (m?.type === 'chunk') onChunk(m.chunk, m.sentAt);
        else if (m?.type === 'answer' && m.answer.frameId >= 0 && !B.arrivals.has(m.answer.frameId)) B.arrivals.set(m.answer.frameId, m.answer.at - performance.timeOrigin);
        // The slots the Worker put on screen when it draws the views (flat: slot, ms since the epoch, with its AI frame).
        else if (m?.type === 'presented') B.workerShown.push(...m.list);
      });
    }
  };

  const nativeStart = AudioBufferSourceNode.prototype.start;
  AudioBufferSourceNode.prototype.start = function (when = 0, ...rest) {
    if (P.on && this.buffer) {
      // Context time → performance.now() time at the output, as of now.
      const stamp = this.context.getOutputTimestamp();
      if (stamp.contextTime && stamp.performanceTime) {
        const entry = [fingerprint(this.buffer.getChannelData(0)), stamp.performanceTime + (when - stamp.contextTime) * 1000];
        P.audio.push(entry);
        startedAt.set(this, { when, entry });
      }
    }
    return nativeStart.call(this, when, ...rest);
  };
  // A chunk handed over ahead and stopped before it starts (the playout planned it otherwise) is
  // never heard: it leaves the record.
  const startedAt = new WeakMap();
  const nativeStop = AudioBufferSourceNode.prototype.stop;
  AudioBufferSourceNode.prototype.stop = function (...args) {
    const s = startedAt.get(this);
    if (s && this.context.currentTime < s.when) {
      const i = P.audio.lastIndexOf(s.entry);
      if (i >= 0) P.audio.splice(i, 1);
    }
    startedAt.delete(this);
    return nativeStop.apply(this, args);
  };

  // Reads the stamp at two points inside every frame's patch box of the demo model (top half: the
  // code; bottom half: its complement). null: no stamp there (the base frame is shown); -1:
  // nothing drawn there at all (a blank canvas).
  // The view composes its picture at the size it shows it: read in the video's coordinates (the
  // size of the view's own canvas; the picture is in the canvas the network Worker draws in, over
  // it, while the session runs with one).
  const probe = new OffscreenCanvas(1, 1).getContext('2d', { willReadFrequently: true });
  let size = [720, 1280];
  const at = (canvas, x, y) => {
    probe.clearRect(0, 0, 1, 1);
    try {
      probe.drawImage(canvas, -x, -y, size[0], size[1]);
    } catch {
      // Nothing drawn yet.
    }
    return probe.getImageData(0, 0, 1, 1).data;
  };
  const readStamp = (canvas) => {
    const top = at(canvas, 360, 682);
    const bottom = at(canvas, 360, 750);
    if (top[3] === 0 || bottom[3] === 0) return -1;
    let code = 0;
    for (let ch = 0; ch < 3; ch++) {
      const level = Math.round(top[ch] / 85);
      if (Math.abs(top[ch] - level * 85) > 20 || Math.abs(255 - bottom[ch] - level * 85) > 20) return null;
      code = code * 4 + level;
    }
    return code;
  };

  document.addEventListener('lipsync-frame', (e) => B.ready.push([e.detail.frameId, performance.now()]), true);
  // This callback runs before the views' own in each animation frame (it was requested first), so
  // the canvas holds what was drawn in the previous one, at time `lastT`. (A view the network
  // Worker draws reaches the page's copy of its canvas a frame later, sometimes two: read here,
  // its slots show up to a frame late.)
  let lastT = 0;
  const raf = (t) => {
    B.rafs++;
    const view = P.on ? document.querySelector('lipsync-canvas') : null;
    const canvas = view?.canvas;
    const own = view?.shadowRoot.querySelector('canvas');
    if (own) size = [own.width, own.height];
    if (canvas && lastT) P.shown.push([lastT, readStamp(canvas)]);
    lastT = t;
    requestAnimationFrame(raf);
  };
  requestAnimationFrame(raf);
  new PerformanceObserver((list) => list.getEntries().forEach((e) => B.longTasks.push(e.duration))).observe({ type: 'longtask', buffered: true });
})();
