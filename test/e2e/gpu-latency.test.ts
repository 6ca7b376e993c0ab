import { expect } from '@open-wc/testing';
import '../../src/define.js';
import type { LipsyncSessionElement } from '../../src/index.js';
import { createSession, record, startFaultServer, startServer, stopServer, waitFor, type ServerStartOptions } from './helpers.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const nextFrame = () => new Promise<number>((r) => requestAnimationFrame(r));

async function session(server: { url: string }): Promise<LipsyncSessionElement> {
  // Default attributes: what a new user gets (playback-delay auto).
  const el = createSession({ server: server.url, model: 'demo', 'models-base': '/demo/models', input: 'file', 'audio-src': '/demo/audio/speech.wav', muted: '', cache: 'none' });
  el.innerHTML = '<lipsync-canvas view="composite"></lipsync-canvas>';
  el.style.width = '240px';
  document.body.append(el);
  cleanup.push(() => el.remove());
  await waitFor(() => el.state === 'ready', 30_000, 'video frames');
  return el;
}

describe('lip sync against a real server’s latency, default attributes', function () {
  this.timeout(60_000);

  const cases: Array<[string, ServerStartOptions]> = [
    ['the gpu profile (look-ahead + shared inference queue)', { profile: 'gpu' }],
    ['--latency 600 --jitter 150 (600–750 ms)', { latencyMs: 600, jitterMs: 150 }],
  ];
  for (const [name, options] of cases) {
    it(`${name}: the bundled speech in sync on screen, late answers counted and not errors`, async () => {
      const server = await startServer(options);
      cleanup.push(() => stopServer(server.port));
      const el = await session(server);
      const errors = record(el, 'lipsync-error');
      await el.start();
      // What the screen shows, animation frame by animation frame, for 12 s.
      const shown = new Map<number, boolean>();
      const end = performance.now() + 12_000;
      while (performance.now() < end) {
        const now = await nextFrame();
        const f = el.sessionContext.frameAt(now);
        if (f.frameId >= 0) shown.set(f.frameId, shown.get(f.frameId) === true || f.ai !== undefined);
      }
      const m = el.metrics;
      el.stop();
      const ids = [...shown.keys()].sort((a, b) => a - b);
      const firstAi = ids.find((id) => shown.get(id));
      expect(firstAi, 'an AI frame reached the screen').to.not.equal(undefined);
      const after = ids.filter((id) => id >= firstAi!);
      const withAi = after.filter((id) => shown.get(id)).length;
      console.log(`${name}: ${withAi}/${after.length} slots on screen with their AI frame, first AI frame ${m.firstFrameMs?.toFixed(0)} ms after start, latency p50 ${m.latencyMs.p50?.toFixed(0)} / p95 ${m.latencyMs.p95?.toFixed(0)} ms, delay ${m.playbackDelayMs} ms, late ${m.lateFrames}, sync p95 ${m.syncErrorMs?.toFixed(1)} ms`);
      expect(after.length, 'slots shown').to.be.above(200);
      expect(withAi / after.length, 'slots shown with their AI frame').to.be.at.least(0.95);
      expect(m.latencyMs.p50!, 'latency measured').to.be.above(300);
      expect(m.playbackDelayMs, 'a lean delay').to.be.at.most(m.latencyMs.p95! + 250);
      expect(errors.map((e) => e.detail.code), 'no protocol errors for late answers').to.not.include('protocol-error');
      expect(m.framesGenerated, 'metrics readable after stop()').to.be.above(200);
      expect(el.metrics.framesGenerated).to.equal(m.framesGenerated);
    });
  }

  it('a server that never answers: speech is held no longer than the timeout, then plays, and inference-timeout is reported', async () => {
    const server = await startFaultServer('silent');
    cleanup.push(() => stopServer(server.port));
    const el = await session(server);
    el.setAttribute('timeout', '1000');
    const errors = record(el, 'lipsync-error');
    await el.start();
    await waitFor(() => errors.some((e) => e.detail.code === 'inference-timeout'), 6000, 'inference-timeout');
    // The audio was not held for good: slots are being heard.
    await waitFor(() => el.sessionContext.ring()!.playhead > 25, 5000, 'playback');
    expect(errors.map((e) => e.detail.code)).to.not.include('protocol-error');
    expect(el.metrics.lateFrames).to.be.above(0);
  });
});

