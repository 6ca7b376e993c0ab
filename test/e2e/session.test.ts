import { expect } from '@open-wc/testing';
import '../../src/define.js';
import type { LipsyncSessionElement } from '../../src/index.js';
import { bestCorrelation, createSession, decodedAt24k, jpegBase64, received, receivedSamples, record, restartServer, sleep, startFaultServer, startServer, stopServer, waitFor } from './helpers.js';

// Keep a handle on what the session opens, to check that stop() releases it. The objects are
// the browser's own; only references are kept.
const contexts: AudioContext[] = [];
const NativeAudioContext = window.AudioContext;
window.AudioContext = class extends NativeAudioContext {
  constructor(options?: AudioContextOptions) {
    super(options);
    contexts.push(this);
  }
};
const streams: MediaStream[] = [];
const nativeGetUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = async (c) => {
  const s = await nativeGetUserMedia(c);
  streams.push(s);
  return s;
};

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A session for the `demo` model on `server`, in the page (removed after the test). */
function mounted(attrs: Record<string, string>, server: { url: string }): LipsyncSessionElement {
  const el = createSession({ server: server.url, model: 'demo', ...attrs });
  document.body.append(el);
  cleanup.push(() => el.remove());
  return el;
}

async function running(attrs: Record<string, string>, server: { url: string }): Promise<LipsyncSessionElement> {
  const el = mounted(attrs, server);
  await el.start();
  expect(el.state, 'running').to.equal('running');
  return el;
}

describe('<lipsync-session> end to end, fake microphone', function () {
  this.timeout(30_000);

  it('sends 25 requests per second with consecutive ids, and frames come back', async () => {
    const server = await startServer();
    cleanup.push(() => stopServer(server.port));
    const el = createSession({ server: server.url, model: 'demo', muted: '' });
    const events = record(el, 'lipsync-state-change', 'lipsync-connection-change', 'lipsync-frame');
    document.body.append(el);
    cleanup.push(() => el.remove());
    await el.start();
    await waitFor(() => el.hasAttribute('data-connected'), 5000, 'connection');
    await sleep(400);
    const before = await received(server.port);
    const t0 = performance.now();
    await sleep(2000);
    const after = await received(server.port);
    const elapsed = (performance.now() - t0) / 1000;
    const rate = (after.length - before.length) / elapsed;
    expect(rate).to.be.within(22, 28);
    const ids = after.map((r) => r.frameId);
    expect(ids[0]).to.be.at.most(2);
    for (let i = 1; i < ids.length; i++) expect(ids[i], `id after ${ids[i - 1]}`).to.equal(ids[i - 1]! + 1);
    expect(events.filter((e) => e.type === 'lipsync-state-change').map((e) => e.detail.state)).to.deep.equal(['loading', 'running']);
    expect(events.find((e) => e.type === 'lipsync-connection-change')!.detail).to.deep.equal({ connected: true, attempt: 0 });
    const frames = events.filter((e) => e.type === 'lipsync-frame');
    expect(frames.length).to.be.above(30);
    expect(frames[0]!.detail.latency).to.be.a('number').and.to.be.below(1000);
    expect(el.dataset['state']).to.equal('running');
    const m = el.metrics;
    expect(m.framesGenerated).to.be.above(30);
    expect(m.latencyMs.p50).to.be.a('number');
    expect(m.bytesSent).to.be.above(ids.length * 3800);
    expect(m.bytesReceived).to.be.above(0);
    expect(m.fps).to.be.within(15, 30);
  });

  it('stop() and removal release microphone, AudioContext, socket and timers', async () => {
    const server = await startServer();
    cleanup.push(() => stopServer(server.port));
    const el = await running({}, server);
    await waitFor(() => el.metrics.framesGenerated > 5, 5000, 'frames');
    const ctx = contexts.at(-1)!;
    const stream = streams.at(-1)!;
    expect(ctx.state).to.equal('running');
    expect(stream.getAudioTracks()[0]!.readyState).to.equal('live');
    const events = record(el, 'lipsync-frame', 'lipsync-metrics', 'lipsync-connection-change');
    el.stop();
    expect(el.state).to.equal('idle');
    expect(el.hasAttribute('data-connected')).to.equal(false);
    await waitFor(() => ctx.state === 'closed', 2000, 'context closed');
    expect(stream.getAudioTracks()[0]!.readyState).to.equal('ended');
    const count = (await received(server.port)).length;
    await sleep(1500);
    expect((await received(server.port)).length, 'no request after stop').to.equal(count);
    expect(events.filter((e) => e.type !== 'lipsync-connection-change')).to.have.length(0);
    expect(events.map((e) => e.detail)).to.deep.equal([{ connected: false, attempt: 0 }]);

    // Removing a running element does the same, a tick later.
    await el.start();
    const ctx2 = contexts.at(-1)!;
    const stream2 = streams.at(-1)!;
    expect(ctx2).to.not.equal(ctx);
    el.remove();
    await waitFor(() => ctx2.state === 'closed', 2000, 'context closed on removal');
    expect(stream2.getAudioTracks()[0]!.readyState).to.equal('ended');
    expect(el.state).to.equal('idle');
  });

  it('stop() while the microphone is still opening releases it once it opens', async () => {
    const server = await startServer();
    cleanup.push(() => stopServer(server.port));
    const el = mounted({ muted: '' }, server);
    // Stopped before anything opened: nothing opens.
    const streamsBefore = streams.length;
    let starting = el.start();
    el.stop();
    await starting;
    await sleep(300);
    expect(el.state).to.equal('idle');
    expect(streams.length).to.equal(streamsBefore);
    // Stopped while the microphone is opening (getUserMedia pending): its track is ended once it comes.
    el.addEventListener('lipsync-state-change', (e) => e.detail.state === 'loading' && queueMicrotask(() => el.stop()), { once: true });
    starting = el.start();
    await starting;
    await waitFor(() => streams.length > streamsBefore, 5000, 'the microphone request to settle');
    await waitFor(() => streams.at(-1)!.getAudioTracks()[0]!.readyState === 'ended', 2000, 'track ended');
    expect(el.state).to.equal('idle');
    await waitFor(() => contexts.at(-1)!.state === 'closed', 2000, 'context closed');
  });

  it('start() after a stop() that cancelled a pending start() starts again, with one engine (a quick toggle)', async () => {
    const server = await startServer();
    cleanup.push(() => stopServer(server.port));
    const el = mounted({ muted: '' }, server);
    const streamsBefore = streams.length;
    const contextsBefore = contexts.length;
    // Toggled faster than anything opens, then once more while the microphone is opening.
    for (let i = 0; i < 10; i++) {
      void el.start();
      el.stop();
    }
    await el.start();
    expect(el.state, 'the last start() wins').to.equal('running');
    // Stopped and started again while the microphone is opening.
    el.stop();
    let restarted: Promise<void> | undefined;
    el.addEventListener('lipsync-state-change', (e) => e.detail.state === 'loading' && queueMicrotask(() => {
      el.stop();
      restarted = el.start();
    }), { once: true });
    await el.start(); // the cancelled one
    // The restart is still opening: start() now waits for it, and only it runs.
    await el.start();
    expect(el.state, 'started again').to.equal('running');
    await restarted;
    await waitFor(() => el.metrics.framesGenerated > 5, 5000, 'frames');
    // Whatever the cancelled starts opened is released: one live microphone, one running context.
    await waitFor(() => streams.slice(streamsBefore).filter((s) => s.getAudioTracks()[0]!.readyState === 'live').length === 1, 3000, 'one live microphone');
    await waitFor(() => contexts.slice(contextsBefore).filter((c) => c.state !== 'closed').length === 1, 3000, 'one open AudioContext');
    const connections = new Set((await received(server.port)).map((r) => r.connection));
    expect(connections.size, 'requests over one connection').to.equal(1);
    el.stop();
    expect(el.state).to.equal('idle');
  });

  it('survives a reparent within a tick (a CMS drag) without restarting', async () => {
    const server = await startServer();
    cleanup.push(() => stopServer(server.port));
    const el = await running({ muted: '' }, server);
    const ctx = contexts.at(-1)!;
    const box = document.createElement('div');
    document.body.append(box);
    cleanup.push(() => box.remove());
    box.append(el); // disconnect + connect in one task
    await sleep(100);
    expect(el.state).to.equal('running');
    expect(ctx.state).to.equal('running');
  });

  it('reconnects after the server restarts, with ids continuing', async () => {
    const server = await startServer();
    cleanup.push(() => stopServer(server.port));
    const el = await running({ 'reconnect-interval': '300', muted: '' }, server);
    // (Running may come a moment before the socket is open.)
    await waitFor(() => el.hasAttribute('data-connected'), 5000, 'connected');
    const events = record(el, 'lipsync-connection-change');
    await waitFor(() => el.metrics.framesGenerated > 10, 5000, 'frames');
    const lastBefore = (await received(server.port)).at(-1)!.frameId;
    await restartServer(server.port, 800);
    await waitFor(() => events.some((e) => e.detail.connected === true), 8000, 'reconnection');
    await sleep(600);
    const after = await received(server.port);
    expect(events[0]!.detail).to.deep.equal({ connected: false, attempt: 0 });
    expect(events.at(-1)!.detail.connected).to.equal(true);
    expect(after.length).to.be.above(5);
    // Ids never restart: the new connection carries on after the old one's last id.
    expect(after[0]!.frameId).to.be.above(lastBefore);
    const ids = after.map((r) => r.frameId);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(el.metrics.reconnects).to.equal(1);
  });

  it('retries an unanswered request once with the same id, then marks it failed (inference-timeout)', async () => {
    const server = await startFaultServer('silent');
    cleanup.push(() => stopServer(server.port));
    const el = createSession({ server: server.url, model: 'demo', timeout: '300', muted: '', 'playback-delay': '2000' });
    const errors = record(el, 'lipsync-error');
    document.body.append(el);
    cleanup.push(() => el.remove());
    await el.start();
    await waitFor(() => errors.some((e) => e.detail.code === 'inference-timeout'), 5000, 'inference-timeout');
    const got = await received(server.port);
    const first = got.find((r) => r.frameId === 3)!;
    const again = got.filter((r) => r.frameId === 3);
    expect(again, 'id 3 sent twice').to.have.length(2);
    expect(again[1]!.at - first.at).to.be.within(250, 700);
    expect(errors.find((e) => e.detail.code === 'inference-timeout')!.detail.recoverable).to.equal(true);
    expect(el.state).to.equal('running');
  });

  it('reports server-unreachable and keeps trying with backoff', async () => {
    const server = await startServer();
    await stopServer(server.port);
    const el = createSession({ server: server.url, model: 'demo', 'reconnect-interval': '200', muted: '' });
    const errors = record(el, 'lipsync-error');
    document.body.append(el);
    cleanup.push(() => el.remove());
    await el.start();
    await waitFor(() => errors.length > 0, 5000, 'server-unreachable');
    expect(errors[0]!.detail.code).to.equal('server-unreachable');
    expect(el.state).to.equal('running');
    // Now bring a server up on that port: the session connects on its own.
    const again = await executeStart(server.port);
    cleanup.push(() => stopServer(again.port));
    await waitFor(() => el.hasAttribute('data-connected'), 10_000, 'late connection');
  });

  it('reports inference-error for a status ≠ 0 (unknown model) and keeps going', async () => {
    const server = await startServer();
    cleanup.push(() => stopServer(server.port));
    const el = createSession({ server: server.url, model: 'nobody', muted: '' });
    const errors = record(el, 'lipsync-error');
    document.body.append(el);
    cleanup.push(() => el.remove());
    await el.start();
    await waitFor(() => errors.length > 1, 5000, 'inference errors');
    expect(errors[0]!.detail.code).to.equal('inference-error');
    expect(errors[0]!.detail.message).to.contain('unknown model "nobody"');
    // Folded: at most one event per code per 250 ms, with a count.
    for (let i = 1; i < errors.length; i++) expect(errors[i]!.at - errors[i - 1]!.at).to.be.at.least(240);
    expect(errors.slice(1).some((e) => e.detail.count > 1)).to.equal(true);
  });

  for (const kind of ['garbage', 'text', 'bad-zip', 'unknown-id']) {
    it(`reports protocol-error for a ${kind} response, keeps the connection and the session`, async () => {
      const server = await startFaultServer(kind, { jpeg: await jpegBase64() });
      cleanup.push(() => stopServer(server.port));
      const el = createSession({ server: server.url, model: 'demo', muted: '' });
      const errors = record(el, 'lipsync-error', 'lipsync-connection-change');
      document.body.append(el);
      cleanup.push(() => el.remove());
      await el.start();
      await waitFor(() => errors.some((e) => e.type === 'lipsync-error'), 5000, 'protocol-error');
      await sleep(300);
      const err = errors.find((e) => e.type === 'lipsync-error')!;
      expect(err.detail.code).to.equal('protocol-error');
      expect(err.detail.recoverable).to.equal(true);
      expect(el.state).to.equal('running');
      expect(el.hasAttribute('data-connected')).to.equal(true);
      expect(errors.filter((e) => e.type === 'lipsync-connection-change').map((e) => e.detail.connected)).to.deep.equal([true]);
      expect(el.metrics.framesGenerated).to.equal(0);
    });
  }
});

async function executeStart(port: number) {
  return startServer({ port });
}

describe('<lipsync-session> end to end, other inputs', function () {
  this.timeout(30_000);

  it('file input: the samples the server receives equal the file resampled to 24 kHz (correlation ≥ 0.99)', async () => {
    const server = await startServer({ record: true });
    cleanup.push(() => stopServer(server.port));
    const el = createSession({ server: server.url, model: 'demo', input: 'file', 'audio-src': '/test/fixtures/speech-44k.wav', muted: '' });
    document.body.append(el);
    cleanup.push(() => el.remove());
    await el.start();
    // 2.5 s of audio: 63 chunks (the last one padded), then nothing more.
    await waitFor(async () => (await received(server.port)).length >= 63, 8000, 'the whole file');
    await sleep(300);
    const got = await received(server.port);
    expect(got.length).to.equal(63);
    expect(got.map((r) => r.frameId).sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 63 }, (_, i) => i));
    const { r: best, lag: bestLag } = bestCorrelation(await decodedAt24k('/test/fixtures/speech-44k.wav'), receivedSamples(got));
    expect(best, `correlation at lag ${bestLag}`).to.be.at.least(0.99);
    expect(Math.abs(bestLag)).to.be.below(100);
  });

  it('pushAudio ignores what is not Float32 audio at 3000–768000 Hz, at once (no 750 MB filter for 1 GHz)', async () => {
    const server = await startServer();
    cleanup.push(() => stopServer(server.port));
    const el = createSession({ server: server.url, model: 'demo', input: 'push', muted: '' });
    document.body.append(el);
    cleanup.push(() => el.remove());
    await el.start();
    await waitFor(() => el.hasAttribute('data-connected'), 5000, 'connection');
    const tone = new Float32Array(2400).fill(0.5);
    const t0 = performance.now();
    for (const rate of [1e9, 768_001, 2999, 1, 0, -24000, NaN, Infinity, 'fast' as unknown as number]) el.pushAudio(tone, rate);
    el.pushAudio([0.5, 0.5] as unknown as Float32Array, 24000);
    expect(performance.now() - t0, 'ms to refuse them').to.be.below(50);
    await sleep(400);
    expect(await received(server.port), 'nothing queued').to.deep.equal([]);
    // The bounds themselves are audio rates.
    el.pushAudio(tone, 3000);
    el.pushAudio(tone, 768_000);
    await waitFor(async () => (await received(server.port)).length >= 3, 3000, 'pushed audio sent');
  });

  it('push input at 16 kHz fills consecutive slots and gets frames; interrupt() drops what was queued', async () => {
    const server = await startServer({ latencyMs: 150 });
    cleanup.push(() => stopServer(server.port));
    // A 60-slot ring holds 2.4 s: most of the 6 s pushed waits in the queue.
    const el = createSession({ server: server.url, model: 'demo', input: 'push', 'playback-delay': '300', 'buffer-slots': '60', muted: '' });
    const frames = record(el, 'lipsync-frame');
    const errs = record(el, 'lipsync-error');
    cleanup.push(() => { if (errs.length) console.log('errors: ' + JSON.stringify(errs.map((e) => e.detail))); });
    document.body.append(el);
    cleanup.push(() => el.remove());
    await el.start();
    await waitFor(() => el.hasAttribute('data-connected'), 5000, 'connection');
    // 6 s of a voiced tone at 16 kHz, pushed at once like a fast TTS stream.
    const tts = new Float32Array(16000 * 6).map((_, i) => 0.4 * Math.sin((2 * Math.PI * 180 * i) / 16000) * (0.6 + 0.4 * Math.sin(i / 900)));
    el.pushAudio(tts, 16000);
    await waitFor(() => frames.length >= 5, 5000, 'first frames');
    const got = await received(server.port);
    const ids = got.map((r) => r.frameId).sort((a, b) => a - b);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).to.equal(ids[i - 1]! + 1);
    // The ring holds the pushed audio as far as it reaches; chunks go to the server only when due
    // within the playback delay (300 ms: 7.5 slots) plus 10 slots.
    expect(el.metrics.audioBufferFill).to.be.at.least(50);
    const { playhead } = el.sessionContext.ring()!;
    expect(ids.at(-1)!, `last id sent, playhead ${playhead}`).to.be.within(playhead + 3, playhead + 18);

    el.interrupt();
    const framesAtInterrupt = frames.length;
    const m = el.metrics;
    expect(m.audioBufferFill).to.equal(0);
    expect(m.frameBufferFill).to.equal(0);
    // Answers to requests in flight arrive within 150 ms; none of them may surface as a frame.
    await sleep(600);
    expect(frames.length).to.equal(framesAtInterrupt);
    const afterInterrupt = (await received(server.port)).length;
    await sleep(300);
    expect((await received(server.port)).length, 'nothing more is sent').to.equal(afterInterrupt);

    // The next speech starts clean, right away, at ids never used before (SPEC §1).
    const usedBefore = Math.max(...(await received(server.port)).map((r) => r.frameId));
    const pushedAt = performance.now();
    el.pushAudio(new Float32Array(24000).map((_, i) => 0.4 * Math.sin(i / 7)), 24000);
    await waitFor(() => frames.length >= framesAtInterrupt + 5, 5000, 'frames of the next speech');
    const next = frames.slice(framesAtInterrupt);
    expect(Math.min(...next.map((f) => f.detail.frameId)), 'new ids follow every id already sent').to.be.above(usedBefore);
    expect(next[0]!.at - pushedAt, 'first frame of the next speech within the delay').to.be.below(300);
  });

  it('after interrupt() the next speech gets its frames at once from a server working a queue (30 frames/s)', async () => {
    // A GPU server answers in order at its capacity: what the client sent ahead before the
    // barge-in is still ahead of the next speech in that queue, and the client cannot take it back.
    const server = await startServer({ fps: 30 });
    cleanup.push(() => stopServer(server.port));
    const el = createSession({ server: server.url, model: 'demo', input: 'push', muted: '' });
    const frames = record(el, 'lipsync-frame');
    document.body.append(el);
    cleanup.push(() => el.remove());
    await el.start();
    await waitFor(() => el.hasAttribute('data-connected'), 5000, 'connection');
    const voiced = (seconds: number) => new Float32Array(24000 * seconds).map((_, i) => 0.4 * Math.sin((2 * Math.PI * 180 * i) / 24000) * (0.6 + 0.4 * Math.sin(i / 1300)));
    // A 20 s answer from the TTS, pushed at once; the user barges in after 1.5 s.
    el.pushAudio(voiced(20), 24000);
    await sleep(1500);
    expect(frames.length, 'the first answer is animated').to.be.at.least(20);
    el.interrupt();
    const before = frames.length;
    const lateBefore = el.metrics.lateFrames;
    const pushedAt = performance.now();
    el.pushAudio(voiced(2), 24000);
    await sleep(2000 + el.metrics.playbackDelayMs + 300);
    const next = frames.slice(before);
    const firstMs = next.length ? next[0]!.at - pushedAt : Infinity;
    const late = el.metrics.lateFrames - lateBefore;
    console.log(`barge-in at 30 frames/s: first frame of the next speech after ${firstMs.toFixed(0)} ms; ${next.length} of its 50 frames came, ${late} slots played without theirs`);
    expect(firstMs, 'first frame of the next speech, ms').to.be.below(700);
    expect(late, 'slots of the next speech played without their frame').to.be.at.most(5);
  });

  it('autostart starts on its own', async () => {
    const server = await startServer();
    cleanup.push(() => stopServer(server.port));
    const el = createSession({ server: server.url, model: 'demo', autostart: '', muted: '' });
    const states = record(el, 'lipsync-state-change');
    document.body.append(el);
    cleanup.push(() => el.remove());
    await waitFor(() => el.state === 'running', 5000, 'running');
    expect(states.map((s) => s.detail.state)).to.deep.equal(['loading', 'running']);
  });

  it('fires lipsync-metrics once a second with every SPEC figure', async () => {
    const server = await startServer();
    cleanup.push(() => stopServer(server.port));
    const el = createSession({ server: server.url, model: 'demo', muted: '' });
    const metrics = record(el, 'lipsync-metrics');
    document.body.append(el);
    cleanup.push(() => el.remove());
    await el.start();
    await waitFor(() => metrics.length >= 2, 3500, 'two metrics events');
    expect(metrics[1]!.at - metrics[0]!.at).to.be.within(900, 1100);
    expect(Object.keys(metrics[1]!.detail).sort()).to.deep.equal(
      ['audioBufferFill', 'frameBufferFill', 'framesGenerated', 'fps', 'latencyMs', 'audioLevelDb', 'lateFrames', 'syncErrorMs', 'firstFrameMs', 'playbackDelayMs', 'reconnects', 'bytesSent', 'bytesReceived'].sort(),
    );
    expect(metrics[1]!.detail.audioLevelDb).to.be.below(0);
  });
});

describe('<lipsync-session> end to end, contexts, streams and the worklet file', function () {
  this.timeout(30_000);

  it('uses a page-provided 48 kHz audioContext, resampling in the worklet (file correlation ≥ 0.99), and leaves it open', async () => {
    const server = await startServer({ record: true });
    cleanup.push(() => stopServer(server.port));
    const ctx = new NativeAudioContext({ sampleRate: 48_000 });
    cleanup.push(() => ctx.close());
    const el = createSession({ server: server.url, model: 'demo', input: 'file', 'audio-src': '/test/fixtures/speech-44k.wav', muted: '' });
    el.audioContext = ctx;
    document.body.append(el);
    cleanup.push(() => el.remove());
    await el.start();
    await waitFor(async () => (await received(server.port)).length >= 62, 8000, 'the whole file');
    const { r: best } = bestCorrelation(await decodedAt24k('/test/fixtures/speech-44k.wav'), receivedSamples(await received(server.port)));
    expect(best).to.be.at.least(0.99);
    el.stop();
    expect(ctx.state, 'a page-provided context is not closed').to.not.equal('closed');
  });

  it('muted applies at once while running: the audio at the output goes silent and comes back', async () => {
    const server = await startServer();
    cleanup.push(() => stopServer(server.port));
    const ctx = new NativeAudioContext({ sampleRate: 24_000 });
    cleanup.push(() => ctx.close());
    // Listen to what the session sends to the speakers: a tap beside every connection to the destination.
    const tap = ctx.createAnalyser();
    const connect = AudioNode.prototype.connect;
    AudioNode.prototype.connect = function (this: AudioNode, destination: AudioNode | AudioParam, ...rest: number[]) {
      if (destination === ctx.destination) (connect as (...a: unknown[]) => unknown).call(this, tap);
      return (connect as (...a: unknown[]) => unknown).call(this, destination, ...rest);
    } as unknown as typeof connect;
    cleanup.push(() => (AudioNode.prototype.connect = connect));
    const level = () => {
      const data = new Float32Array(tap.fftSize);
      tap.getFloatTimeDomainData(data);
      return Math.sqrt(data.reduce((a, x) => a + x * x, 0) / data.length);
    };
    const loudest = async (ms: number) => {
      let max = 0;
      for (const end = performance.now() + ms; performance.now() < end; await sleep(20)) max = Math.max(max, level());
      return max;
    };
    const el = createSession({ server: server.url, model: 'demo', input: 'file', 'audio-src': '/test/fixtures/speech-44k.wav' });
    el.audioContext = ctx;
    document.body.append(el);
    cleanup.push(() => el.remove());
    await el.start();
    await waitFor(() => level() > 0.01, 5000, 'speech at the output');
    el.muted = true;
    await sleep(100);
    expect(await loudest(800), 'muted while running').to.equal(0);
    el.muted = false;
    expect(await loudest(1500), 'unmuted again').to.be.above(0.01);
  });

  it('captures input="stream" from srcObject, and reports speech starting and stopping', async () => {
    const server = await startServer();
    cleanup.push(() => stopServer(server.port));
    // A real MediaStream: an oscillator, gated on for 1 s, off, on again.
    const source = new NativeAudioContext();
    cleanup.push(() => source.close());
    const osc = source.createOscillator();
    const gate = source.createGain();
    const dest = source.createMediaStreamDestination();
    osc.frequency.value = 220;
    gate.gain.value = 0;
    osc.connect(gate).connect(dest);
    osc.start();
    const el = createSession({ server: server.url, model: 'demo', input: 'stream', 'playback-delay': '200' });
    el.srcObject = dest.stream;
    const events = record(el, 'lipsync-speaking-change', 'lipsync-frame');
    document.body.append(el);
    cleanup.push(() => el.remove());
    await el.start();
    await sleep(500);
    const t = source.currentTime;
    gate.gain.setValueAtTime(0.5, t);
    gate.gain.setValueAtTime(0, t + 1);
    await waitFor(() => events.filter((e) => e.type === 'lipsync-speaking-change').length >= 2, 5000, 'speech start and end');
    const speaking = events.filter((e) => e.type === 'lipsync-speaking-change');
    expect(speaking.map((e) => e.detail.speaking)).to.deep.equal([true, false]);
    const heard = speaking[1]!.at - speaking[0]!.at;
    expect(heard, 'speech lasts about the 1 s it was on, plus the hangover').to.be.within(900, 1600);
    expect(events.filter((e) => e.type === 'lipsync-frame').length).to.be.above(20);
    // The page's stream is the page's: the session does not end its tracks.
    el.stop();
    expect(dest.stream.getAudioTracks()[0]!.readyState).to.equal('live');
  });

  it('loads the worklet from LipsyncSessionElement.workletUrl when set (strict CSP pages)', async () => {
    const server = await startServer();
    cleanup.push(() => stopServer(server.port));
    const Session = customElements.get('lipsync-session') as unknown as { workletUrl: string | null };
    cleanup.push(() => (Session.workletUrl = null));
    const attrs = { server: server.url, model: 'demo', input: 'file', 'audio-src': '/test/fixtures/speech-44k.wav', muted: '' };

    // A URL with nothing behind it: start fails, which shows the URL is the one used.
    Session.workletUrl = '/dist/no-such-worklet.js';
    const broken = createSession(attrs);
    const errors = record(broken, 'lipsync-error');
    document.body.append(broken);
    cleanup.push(() => broken.remove());
    await broken.start();
    expect(broken.state).to.equal('error');
    expect(errors[0]!.detail).to.include({ code: 'mic-unavailable' });
    expect(errors[0]!.detail.message).to.contain('/dist/no-such-worklet.js');

    Session.workletUrl = '/dist/lipsync-capture-worklet.js';
    const el = createSession(attrs);
    const frames = record(el, 'lipsync-frame');
    document.body.append(el);
    cleanup.push(() => el.remove());
    await el.start();
    expect(el.state).to.equal('running');
    await waitFor(() => frames.length >= 10, 5000, 'frames');
  });
});
