import { expect } from '@open-wc/testing';
import { createSession, sleep, startServer, stopServer } from './helpers.js';

// Every animation-frame callback of this page is timed; the page holds one session with only a
// buffer view of 500 slots, so the callbacks are that view's redraws.
const durations: number[] = [];
const nativeRaf = window.requestAnimationFrame.bind(window);
window.requestAnimationFrame = (cb) =>
  nativeRaf((t) => {
    const start = performance.now();
    cb(t);
    durations.push(performance.now() - start);
  });

describe('<lipsync-buffer-view> cost', function () {
  this.timeout(30_000);

  it('redraws a 500-slot ring in well under 1 ms', async () => {
    await import('../../src/define.js');
    const server = await startServer({ latencyMs: 200 });
    const el = createSession({ server: server.url, model: 'demo', muted: '', 'buffer-slots': '500' });
    el.innerHTML = '<lipsync-buffer-view></lipsync-buffer-view>';
    document.body.append(el);
    await el.start();
    await sleep(1000);
    durations.length = 0;
    await sleep(4000);
    el.remove();
    await stopServer(server.port);
    const sorted = [...durations].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)]!;
    console.log(`buffer view, 500 slots: ${sorted.length} frames, p50 ${sorted[sorted.length >> 1]!.toFixed(3)} ms, p95 ${p95.toFixed(3)} ms, max ${sorted.at(-1)!.toFixed(3)} ms`);
    expect(sorted.length).to.be.above(100);
    expect(p95).to.be.below(1);
  });
});
