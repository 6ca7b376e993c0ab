import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Keeps `npm run bench` from rotting: a run with 1-second phases must produce every figure.
describe('bench smoke run', () => {
  it('measures every figure with tiny durations', { timeout: 300_000 }, () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bench-')), 'results.json');
    execFileSync(process.execPath, ['bench/run.mjs', '--seconds', '1', '--no-build', '--out', out], { stdio: 'pipe', timeout: 290_000 });
    const r = JSON.parse(readFileSync(out, 'utf8'));
    const finite = (v: unknown, what: string) => assert.ok(typeof v === 'number' && Number.isFinite(v), `${what} = ${String(v)}`);
    finite(r.bundleGzipBytes, 'bundle');
    for (const side of ['browser', 'node'] as const) {
      for (const op of ['encodeRequest', 'decodeRequest', 'encodeResponse', 'decodeResponse']) finite(r.codec[side][op].speedup, `codec ${side} ${op}`);
    }
    assert.ok(r.codec.node.requestBytes.binary < r.codec.node.requestBytes.json, 'binary requests are smaller');
    for (const k of ['stored', 'deflated']) for (const m of ['readZipUs', 'fflateUs']) finite(r.zipInWorker[k][m], `ZIP in a Worker, ${k}, ${m}`);
    finite(r.extraction.coldMs, 'cold extraction');
    finite(r.extraction.cachedMs, 'cached load');
    assert.ok(r.extraction.cachedMs < r.extraction.coldMs, 'the cached load is faster');
    for (const k of ['cold', 'cached'] as const) {
      for (const m of ['firstFrameMs', 'readyMs', 'allFramesMs', 'mainThreadMs']) finite(r.extraction[k][m], `${k} ${m}`);
    }
    // Cold, the avatar is on screen long before the last frame is extracted (from the cache all
    // may be read before the first is drawn).
    assert.ok(r.extraction.cold.firstFrameMs < r.extraction.cold.allFramesMs / 4, 'cold: the first frame long before the last');
    for (const k of ['captureToSendMs', 'responseToFrameReadyMs', 'requestToResponseMs'] as const) {
      finite(r.oneSession[k].p50, `${k} p50`);
      finite(r.oneSession[k].p99, `${k} p99`);
    }
    finite(r.oneSession.mainThreadMsPerFrame, 'main thread per frame');
    finite(r.oneSession.jsHeapMB, 'JS heap');
    // Chromium's memory dump found the page's renderer, and the decoded frames show in it.
    const m = r.oneSession.memory;
    finite(m.ringFull.rendererMB, 'renderer footprint');
    finite(m.ringFull.rendererAllocatorsMB.v8, 'renderer V8');
    finite(m.ringFull.gpuProcessMB, 'GPU process footprint');
    assert.ok(m.ringFull.rendererMB > m.pageWithoutSession.rendererMB, 'a running session takes memory');
    finite(r.fourSessions.framesPerSecond, 'fps with 4 sessions');
    // Presentation is read from the screen: every chunk recognised, frames in order, within ~a refresh.
    for (const p of [r.presentation, r.jank]) {
      finite(p.errorMs.p50, 'presentation error p50');
      finite(p.errorMs.p99, 'presentation error p99');
      assert.ok(p.slotsShown > 20, `${p.slotsShown} slots seen on screen`);
      assert.equal(p.outOfOrder, 0, 'frames on screen in order');
      // Issue 5: never blank — not even right after the main thread was blocked.
      assert.equal(p.blankAnimationFrames, 0, 'animation frames with nothing on the canvas');
      assert.ok(p.chunksRecognised >= 0.9 * p.chunksScheduled, `${p.chunksRecognised} of ${p.chunksScheduled} scheduled chunks known by their samples`);
      finite(p.serverInterArrivalMs.p99, 'server inter-arrival');
    }
    assert.ok(r.presentation.errorMs.p99 < 60, `presentation p99 ${r.presentation.errorMs.p99} ms`);
    assert.ok(r.jank.longTasks.count >= 2 && r.jank.longTasks.totalMs >= 500, 'the jank phase blocked the main thread');
    assert.ok(r.oneSession.bytesPerSecond.sent > 50_000, 'about 25 requests of ~3.9 KB a second');
    // Against a real GPU's latency with default attributes: frames on screen, in sync, a lean delay.
    for (const g of [r.gpu, r.latency600]) {
      finite(g.firstFrameMs, 'first AI frame against a GPU server');
      assert.ok(g.latencyMs.p50 > 300, `latency p50 ${g.latencyMs.p50} ms`);
      assert.ok(g.playbackDelayMs <= g.latencyMs.p95 + 250, `delay ${g.playbackDelayMs} ms vs p95 ${g.latencyMs.p95} ms`);
      assert.ok(g.slotsShown > 100, `${g.slotsShown} AI frames seen on screen`);
      assert.ok(g.errorMs.p99 < 60, `presentation p99 ${g.errorMs.p99} ms`);
    }
  });
});
