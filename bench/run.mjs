// `npm run bench`: the figures people ask of a lip-sync client, measured in headless Chromium
// against the reference server, printed as a table and written to bench/results.json.
//   node bench/run.mjs [--seconds 20] [--no-build] [--out bench/results.json]
// `--seconds` scales every timed phase (the smoke test in the suite uses 1).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import puppeteer from 'puppeteer-core';
import { startDemo } from '../scripts/start.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const arg = (flag, fallback) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : fallback;
};
const S = Number(arg('--seconds', '20'));
const out = resolve(root, arg('--out', 'bench/results.json'));

const pct = (values, p) => {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const dist = (values) => ({ p50: pct(values, 50), p99: pct(values, 99), n: values.length });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- codec: binary vs JSON + base64 carrying the same data, measured here in the same run ----
async function codecFigures() {
  const dir = resolve(root, 'node_modules/.cache/bench');
  mkdirSync(dir, { recursive: true });
  await build({ entryPoints: [resolve(root, 'src/core/protocol.ts')], outfile: `${dir}/protocol.mjs`, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' });
  const { createRequestEncoder, encodeResponse, decodeResponse, decodeRequest } = await import(pathToFileURL(`${dir}/protocol.mjs`).href);
  const samples = new Float32Array(960).map((_, i) => Math.sin(i / 7) * 0.5);
  const zip = new Uint8Array(12_000).map((_, i) => (i * 31) & 255); // a typical patch answer
  const encode = createRequestEncoder('demo');
  const time = (fn, n) => {
    for (let i = 0; i < 200; i++) fn(i);
    const t = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    return (performance.now() - t) / n;
  };
  const n = Math.max(2000, S * 500);
  const binEncode = time((i) => encode(i, samples), n);
  const jsonEncode = time((i) => JSON.stringify({ model: 'demo', frameId: i, audio: Buffer.from(samples.buffer).toString('base64') }), n);
  const request = encode(1, samples);
  const jsonRequest = JSON.stringify({ model: 'demo', frameId: 1, audio: Buffer.from(samples.buffer).toString('base64') });
  const binDecodeReq = time(() => decodeRequest(request), n);
  const jsonDecodeReq = time(() => {
    const m = JSON.parse(jsonRequest);
    const b = Buffer.from(m.audio, 'base64');
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  }, n);
  const response = encodeResponse({ status: 0, frameId: 1, zip });
  const jsonResponse = JSON.stringify({ status: 0, frameId: 1, zip: Buffer.from(zip).toString('base64') });
  const binDecodeRes = time(() => decodeResponse(response), n);
  const jsonDecodeRes = time(() => Buffer.from(JSON.parse(jsonResponse).zip, 'base64'), n);
  return {
    requestBytes: { binary: request.length, json: Buffer.byteLength(jsonRequest) },
    responseBytes: { binary: response.length, json: Buffer.byteLength(jsonResponse) },
    encodeRequestUs: { binary: binEncode * 1000, json: jsonEncode * 1000, speedup: jsonEncode / binEncode },
    decodeRequestUs: { binary: binDecodeReq * 1000, json: jsonDecodeReq * 1000, speedup: jsonDecodeReq / binDecodeReq },
    decodeResponseUs: { binary: binDecodeRes * 1000, json: jsonDecodeRes * 1000, speedup: jsonDecodeRes / binDecodeRes },
  };
}

// ---- browser figures ----
const arrivals = []; // [connection, frameId, time ms] at the server
const demo = await startDemo({ port: 0, wsPort: 0, runBuild: !args.includes('--no-build'), log: () => {}, onRequest: (c, r) => arrivals.push([c, r.frameId, performance.now()]) });
const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
    '--autoplay-policy=no-user-gesture-required', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${resolve(root, 'demo/audio/speech.wav')}`],
});
const benchUrl = demo.url.replace(/\/demo\/$/, '/bench/');

async function openPage() {
  const page = await browser.newPage();
  await page.setViewport({ width: 800, height: 600 });
  await page.goto(benchUrl, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForFunction(() => customElements.get('lipsync-session'), { timeout: 10_000 });
  const cdp = await page.createCDPSession();
  await cdp.send('Performance.enable');
  return { page, cdp };
}

async function cdpMetrics(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

/** Adds `count` sessions (mic input, muted) with a composite canvas each and starts them. */
async function startSessions(page, count, extra = {}) {
  await page.evaluate(async (count, server, extra) => {
    const grid = document.getElementById('grid');
    for (let i = 0; i < count; i++) {
      const s = document.createElement('lipsync-session');
      Object.entries({ server, model: 'demo', 'models-base': '/demo/models', muted: '', ...extra }).forEach(([k, v]) => s.setAttribute(k, v));
      s.innerHTML = '<lipsync-canvas></lipsync-canvas>';
      grid.append(s);
    }
    const all = [...document.querySelectorAll('lipsync-session')];
    await Promise.all(all.map((s) => new Promise((r) => (s.state === 'ready' ? r() : s.addEventListener('lipsync-state-change', (e) => e.detail.state === 'ready' && r())))));
    await Promise.all(all.map((s) => s.start()));
  }, count, demo.inferenceUrl, extra);
}

/** Main-thread time per animation frame, long tasks and frames/s over `seconds`. */
async function window_(page, cdp, seconds) {
  const before = await cdpMetrics(cdp);
  const b0 = await page.evaluate(() => ({ rafs: __bench.rafs, long: __bench.longTasks.length }));
  await sleep(seconds * 1000);
  const after = await cdpMetrics(cdp);
  const b1 = await page.evaluate(() => ({ rafs: __bench.rafs, long: __bench.longTasks.slice() }));
  const frames = b1.rafs - b0.rafs;
  const longTasks = b1.long.slice(b0.long);
  return {
    mainThreadMsPerFrame: ((after.TaskDuration - before.TaskDuration) * 1000) / Math.max(1, frames),
    scriptMsPerFrame: ((after.ScriptDuration - before.ScriptDuration) * 1000) / Math.max(1, frames),
    framesPerSecond: frames / seconds,
    longTasks: { count: longTasks.length, totalMs: longTasks.reduce((a, b) => a + b, 0) },
  };
}

const results = { measuredOn: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(await browser.version())}, Node ${process.version}`, seconds: S };
try {
  results.bundleGzipBytes = gzipSync(readFileSync(resolve(root, 'dist/lipsync-elements.min.js')), { level: 9 }).length;
  results.codec = await codecFigures();

  // Cold extraction (cache cleared) and the cached load of the demo video.
  {
    const { page } = await openPage();
    results.extraction = await page.evaluate(async () => {
      const load = async () => {
        const s = document.createElement('lipsync-session');
        s.setAttribute('model', 'demo');
        s.setAttribute('models-base', '/demo/models');
        s.innerHTML = '<lipsync-canvas></lipsync-canvas>';
        const t = performance.now();
        const ready = new Promise((r) => s.addEventListener('lipsync-state-change', (e) => e.detail.state === 'ready' && r()));
        document.getElementById('grid').append(s);
        await ready;
        const ms = performance.now() - t;
        return { ms, s };
      };
      const first = await load();
      await first.s.clearCache();
      first.s.remove();
      await new Promise((r) => setTimeout(r, 100));
      const cold = await load();
      cold.s.remove();
      await new Promise((r) => setTimeout(r, 100));
      const cached = await load();
      cached.s.remove();
      return { coldMs: cold.ms, cachedMs: cached.ms };
    });
    await page.close();
  }

  // One session: latency figures, presentation, main thread, wire bytes, memory with the ring full.
  {
    const { page, cdp } = await openPage();
    await startSessions(page, 1);
    await sleep(2000);
    const w = await window_(page, cdp, S);
    const m0 = await page.evaluate(() => document.querySelector('lipsync-session').metrics);
    await sleep(1000);
    const m1 = await page.evaluate(() => document.querySelector('lipsync-session').metrics);
    const timing = await page.evaluate(() => {
      const B = __bench;
      const captureToSend = [];
      for (const [id, t] of B.sends) if (B.chunks.has(id)) captureToSend.push(t - B.chunks.get(id));
      const responseToReady = B.ready.filter(([id]) => B.arrivals.has(id)).map(([id, t]) => t - B.arrivals.get(id));
      return { captureToSend, responseToReady };
    });
    // The 20 s ring (500 slots) is full after 20 s of capture.
    const ringFullIn = Math.max(0, 21 - S - 3);
    if (ringFullIn > 0 && S >= 10) await sleep(ringFullIn * 1000);
    await page.evaluate(() => new Promise((r) => setTimeout(r, 100)));
    const heap = await cdpMetrics(cdp);
    results.oneSession = {
      captureToSendMs: dist(timing.captureToSend),
      responseToFrameReadyMs: dist(timing.responseToReady),
      requestToResponseMs: m1.latencyMs,
      presentationErrorP95Ms: m1.syncErrorMs,
      lateFrames: m1.lateFrames,
      firstFrameMs: m1.firstFrameMs,
      bytesPerSecond: { sent: m1.bytesSent - m0.bytesSent, received: m1.bytesReceived - m0.bytesReceived },
      ...w,
      jsHeapMB: heap.JSHeapUsedSize / 1e6,
      audioBufferFill: m1.audioBufferFill,
    };
    await page.close();
  }

  // Four sessions on one page.
  {
    const { page, cdp } = await openPage();
    await startSessions(page, 4);
    await sleep(2000);
    results.fourSessions = await window_(page, cdp, Math.max(1, S / 2));
    await page.close();
  }

  // Jank: the page's main thread blocked 300 ms every 2 s.
  {
    const { page, cdp } = await openPage();
    await startSessions(page, 1);
    await sleep(2000);
    const firstArrival = arrivals.length;
    const m0 = await page.evaluate(() => document.querySelector('lipsync-session').metrics);
    await page.evaluate(() => {
      window.__jank = setInterval(() => {
        const t = performance.now();
        while (performance.now() - t < 300);
      }, 2000);
    });
    const w = await window_(page, cdp, Math.max(4, S / 2));
    await page.evaluate(() => clearInterval(window.__jank));
    const m1 = await page.evaluate(() => document.querySelector('lipsync-session').metrics);
    const conn = arrivals.at(-1)?.[0];
    const mine = arrivals.slice(firstArrival).filter(([c]) => c === conn).map(([, , t]) => t);
    const gaps = mine.slice(1).map((t, i) => t - mine[i]);
    results.jank = {
      serverInterArrivalMs: { ...dist(gaps), max: gaps.length ? Math.max(...gaps) : null },
      lateFramesDuring: m1.lateFrames - m0.lateFrames,
      presentationErrorP95Ms: m1.syncErrorMs,
      playbackDelayMs: m1.playbackDelayMs,
      longTasks: w.longTasks,
    };
    await page.close();
  }
} finally {
  await browser.close();
  await demo.close();
}

mkdirSync(resolve(root, 'bench'), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);

const f = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(d));
const o = results.oneSession;
const rows = [
  ['capture → send (p50 / p99)', `${f(o.captureToSendMs.p50)} / ${f(o.captureToSendMs.p99)} ms`],
  ['response → frame ready (p50 / p99)', `${f(o.responseToFrameReadyMs.p50)} / ${f(o.responseToFrameReadyMs.p99)} ms`],
  ['request → response (p50 / p95)', `${f(o.requestToResponseMs.p50)} / ${f(o.requestToResponseMs.p95)} ms`],
  ['presentation error |screen − speaker| (p95)', `${f(o.presentationErrorP95Ms)} ms; late frames ${o.lateFrames}`],
  ['first AI frame on screen', `${f(o.firstFrameMs, 0)} ms`],
  ['main thread per animation frame, 1 session', `${f(o.mainThreadMsPerFrame, 2)} ms (script ${f(o.scriptMsPerFrame, 2)} ms), ${f(o.framesPerSecond)} fps, ${o.longTasks.count} long tasks`],
  ['main thread per animation frame, 4 sessions', `${f(results.fourSessions.mainThreadMsPerFrame, 2)} ms (script ${f(results.fourSessions.scriptMsPerFrame, 2)} ms), ${f(results.fourSessions.framesPerSecond)} fps, ${results.fourSessions.longTasks.count} long tasks`],
  ['JS heap, 1 session, ring full', `${f(o.jsHeapMB)} MB (decoded images not included)`],
  ['bytes on the wire per second', `${f(o.bytesPerSecond.sent / 1000)} KB up, ${f(o.bytesPerSecond.received / 1000)} KB down`],
  ['codec vs JSON + base64', `encode ×${f(results.codec.encodeRequestUs.speedup)}, decode request ×${f(results.codec.decodeRequestUs.speedup)}, decode response ×${f(results.codec.decodeResponseUs.speedup)}; request ${results.codec.requestBytes.binary} vs ${results.codec.requestBytes.json} B, response ${results.codec.responseBytes.binary} vs ${results.codec.responseBytes.json} B`],
  ['cold frame extraction / cached load (demo video)', `${f(results.extraction.coldMs, 0)} ms / ${f(results.extraction.cachedMs, 0)} ms`],
  ['bundle, gzipped', `${(results.bundleGzipBytes / 1024).toFixed(2)} KB`],
  ['jank (300 ms block every 2 s): server inter-arrival', `p50 ${f(results.jank.serverInterArrivalMs.p50)} / p99 ${f(results.jank.serverInterArrivalMs.p99)} / max ${f(results.jank.serverInterArrivalMs.max)} ms; late frames ${results.jank.lateFramesDuring}; presentation p95 ${f(results.jank.presentationErrorP95Ms)} ms`],
];
console.log(`\nlipsync-elements bench — ${results.measuredOn}, ${S} s phases\n`);
console.log('| figure | value |\n| --- | --- |');
for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
console.log(`\nwritten ${out}`);
