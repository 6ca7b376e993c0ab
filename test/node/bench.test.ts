import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Keeps `npm run bench` from rotting: a run with 1-second phases must produce every figure.
describe('bench smoke run', () => {
  it('measures every figure with tiny durations', { timeout: 240_000 }, () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bench-')), 'results.json');
    execFileSync(process.execPath, ['bench/run.mjs', '--seconds', '1', '--no-build', '--out', out], { stdio: 'pipe', timeout: 230_000 });
    const r = JSON.parse(readFileSync(out, 'utf8'));
    const finite = (v: unknown, what: string) => assert.ok(typeof v === 'number' && Number.isFinite(v), `${what} = ${String(v)}`);
    finite(r.bundleGzipBytes, 'bundle');
    finite(r.codec.encodeRequestUs.speedup, 'codec encode');
    finite(r.codec.decodeResponseUs.speedup, 'codec decode');
    finite(r.extraction.coldMs, 'cold extraction');
    finite(r.extraction.cachedMs, 'cached load');
    assert.ok(r.extraction.cachedMs < r.extraction.coldMs, 'the cached load is faster');
    finite(r.oneSession.captureToSendMs.p50, 'capture → send');
    finite(r.oneSession.responseToFrameReadyMs.p50, 'response → frame ready');
    finite(r.oneSession.mainThreadMsPerFrame, 'main thread per frame');
    finite(r.oneSession.jsHeapMB, 'JS heap');
    finite(r.fourSessions.framesPerSecond, 'fps with 4 sessions');
    finite(r.jank.serverInterArrivalMs.p99, 'inter-arrival under jank');
    assert.ok(r.oneSession.bytesPerSecond.sent > 50_000, 'about 25 requests of ~3.9 KB a second');
  });
});
