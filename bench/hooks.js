// Timing observers for the bench page. They record when things happen (chunks leaving the
// worklet, requests sent, answers arriving, frames ready, animation frames, long tasks) and
// pass everything through unchanged.
(() => {
  const B = (window.__bench = { chunks: new Map(), sends: new Map(), arrivals: new Map(), ready: [], rafs: 0, longTasks: [] });

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

  const NativeNode = window.AudioWorkletNode;
  window.AudioWorkletNode = class extends NativeNode {
    constructor(context, name, options) {
      super(context, name, options);
      this.port.addEventListener('message', (e) => {
        if (e.data && e.data.type === 'chunk') {
          // The context clock has moved (currentTime − endTime) since the chunk's last sample.
          const now = performance.now();
          B.chunks.set(e.data.index, now - (context.currentTime - e.data.endTime) * 1000);
        }
      });
    }
  };

  document.addEventListener('lipsync-frame', (e) => B.ready.push([e.detail.frameId, performance.now()]), true);
  const raf = () => {
    B.rafs++;
    requestAnimationFrame(raf);
  };
  requestAnimationFrame(raf);
  new PerformanceObserver((list) => list.getEntries().forEach((e) => B.longTasks.push(e.duration))).observe({ type: 'longtask', buffered: true });
})();
