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
import { chromiumFlags, chromiumPath, fakeMicrophone } from '../scripts/chromium-flags.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const arg = (flag, fallback) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : fallback;
};
const S = Number(arg('--seconds', '20'));
// `--only-extraction`: the model video loading figures alone (to compare two versions quickly).
const onlyExtraction = args.includes('--only-extraction');
// `--only-main-thread [--repeat N]`: main thread per animation frame, 1 and 4 sessions, N times each (to compare two versions).
const onlyMainThread = args.includes('--only-main-thread');
const out = resolve(root, arg('--out', 'bench/results.json'));

const pct = (values, p) => {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const dist = (values) => ({ p50: pct(values, 50), p99: pct(values, 99), n: values.length });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- codec: binary vs JSON + base64 carrying the same data (bench/codec.js) ----
const codecModule = resolve(root, 'node_modules/.cache/bench/protocol.mjs');
await build({ entryPoints: [resolve(root, 'src/core/protocol.ts')], outfile: codecModule, bundle: true, platform: 'neutral', format: 'esm', logLevel: 'warning' });
await build({ entryPoints: [resolve(root, 'src/core/zip.ts')], outfile: resolve(root, 'node_modules/.cache/bench/zip.mjs'), bundle: true, platform: 'neutral', format: 'esm', logLevel: 'warning' });
const codecIterations = 20_000;

/** The server's side in Node (Buffer's base64), the client's side in the page (the browser's). */
async function codecFigures(page) {
  const { measureCodec } = await import(pathToFileURL(resolve(root, 'bench/codec.js')).href);
  const node = measureCodec(await import(pathToFileURL(codecModule).href), {
    name: 'Buffer',
    encode: (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'),
    decode: (s) => Buffer.from(s, 'base64'),
  }, codecIterations);
  const browser = await page.evaluate(async (n) => {
    const { measureCodec, browserBase64 } = await import('/bench/codec.js');
    return measureCodec(await import('/node_modules/.cache/bench/protocol.mjs'), browserBase64(), n);
  }, codecIterations);
  return { browser, node };
}

// ---- browser figures ----
const arrivals = []; // [connection, frameId, time ms] at the server
const demo = await startDemo({ port: 0, wsPort: 0, server: { profile: 'instant' }, serve: [['/bench/', 'bench'], ['/node_modules/.cache/bench/', 'node_modules/.cache/bench'], ['/node_modules/fflate/', 'node_modules/fflate']], runBuild: !args.includes('--no-build'), log: () => {}, onRequest: (c, r) => arrivals.push([c, r.frameId, performance.now()]) });
const browser = await puppeteer.launch({
  executablePath: chromiumPath,
  headless: true,
  args: [...chromiumFlags, ...fakeMicrophone(resolve(root, 'demo/audio/speech.wav'))],
});
// One page at a time: the memory dump takes the renderer with the largest V8 heap as the page's.
for (const p of await browser.pages()) await p.close();
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

/**
 * Chromium's own memory accounting (a memory-infra dump, after a garbage collection): private
 * footprint and main allocators in MB of the page's renderer — the renderer with the largest V8
 * heap; the bench has one page open — and of the GPU process. Decoded images (ImageBitmaps,
 * video frames) are in the renderer's malloc and shared memory, canvases under `canvas`.
 */
async function memoryDump(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const tracing = await browser.target().createCDPSession();
  const events = [];
  tracing.on('Tracing.dataCollected', (e) => events.push(...e.value));
  const complete = new Promise((r) => tracing.once('Tracing.tracingComplete', r));
  await tracing.send('Tracing.start', { transferMode: 'ReportEvents', traceConfig: { includedCategories: ['disabled-by-default-memory-infra', '__metadata'], excludedCategories: ['*'], memoryDumpConfig: { triggers: [] } } });
  const { success } = await tracing.send('Tracing.requestMemoryDump', { deterministic: true, levelOfDetail: 'detailed' });
  await tracing.send('Tracing.end');
  await complete;
  await tracing.detach();
  if (!success) throw new Error('Chromium did not take the memory dump');
  const names = new Map(events.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => [e.pid, e.args.name]));
  const mb = (hex) => parseInt(hex ?? '0', 16) / 1e6;
  // A process's totals and its allocators come in separate dump events.
  const byPid = new Map();
  for (const e of events.filter((e) => e.ph === 'v' && e.args?.dumps)) {
    const p = byPid.get(e.pid) ?? byPid.set(e.pid, { name: names.get(e.pid), footprint: 0, allocators: {} }).get(e.pid);
    const { allocators = {}, process_totals: totals } = e.args.dumps;
    if (totals) p.footprint = mb(totals.private_footprint_bytes);
    for (const [k, v] of Object.entries(allocators)) if (!k.includes('/')) p.allocators[k] = mb(v.attrs?.size?.value);
  }
  const processes = [...byPid.values()];
  const renderer = processes.filter((p) => p.name === 'Renderer').sort((a, b) => (b.allocators.v8 ?? 0) - (a.allocators.v8 ?? 0))[0];
  const gpu = processes.find((p) => p.name === 'GPU Process');
  const pick = ({ v8, blink_gc, malloc, partition_alloc, canvas, shared_memory, discardable }) => ({ v8, blink_gc, malloc, partition_alloc, canvas, shared_memory, discardable });
  return { rendererMB: renderer?.footprint ?? null, rendererAllocatorsMB: renderer ? pick(renderer.allocators) : null, gpuProcessMB: gpu?.footprint ?? null };
}

async function cdpMetrics(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

/** Adds `count` sessions (mic input, audible) with a composite canvas each and starts them. */
async function startSessions(page, count, extra = {}) {
  await page.evaluate(async (count, server, extra) => {
    const grid = document.getElementById('grid');
    for (let i = 0; i < count; i++) {
      const s = document.createElement('lipsync-session');
      Object.entries({ server, model: 'demo', 'models-base': '/demo/models', ...extra }).forEach(([k, v]) => v !== null && s.setAttribute(k, v));
      s.innerHTML = '<lipsync-canvas></lipsync-canvas>';
      grid.append(s);
    }
    const all = [...document.querySelectorAll('lipsync-session')];
    await Promise.all(all.map((s) => new Promise((r) => (s.state === 'ready' ? r() : s.addEventListener('lipsync-state-change', (e) => e.detail.state === 'ready' && r())))));
    await Promise.all(all.map((s) => s.start()));
  }, count, demo.inferenceUrl, extra);
}

const median = (values) => pct(values, 50);

/**
 * Presentation error from what the page saw: `shown` ([animation frame time, stamped frame code or
 * null]), `audio` ([sample fingerprint, time the chunk reaches the speaker]) and `fingerprints`
 * ([fingerprint, chunk index or -1]). Chunks recognised by their samples give the speaker time of
 * each; the chunk heard at any moment follows from the last one started (the playback delay may
 * change along the way, so no single line is fitted).
 */
function presentationFigures({ shown, audio, fingerprints }) {
  const index = new Map(fingerprints);
  const known = audio.map(([fp, at]) => [index.get(fp) ?? -1, at]).filter(([k]) => k >= 0).sort((a, b) => a[1] - b[1]);
  if (!known.length) return null;
  const speaker = new Map(known);
  /** The chunk index at the speaker at `t` (fractional). */
  const heardAt = (t) => {
    let lo = 0;
    let hi = known.length - 1;
    if (t < known[0][1]) return known[0][0] - (known[0][1] - t) / 40;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (known[mid][1] <= t) lo = mid;
      else hi = mid - 1;
    }
    return known[lo][0] + (t - known[lo][1]) / 40;
  };
  const errors = [];
  const slots = [];
  let withoutPatch = 0;
  let blank = 0;
  let previous;
  const first = shown.findIndex(([, code]) => code !== null && code >= 0);
  for (const [t, code] of first < 0 ? [] : shown.slice(first)) {
    if (code === -1) blank++;
    if (code === previous) continue;
    previous = code;
    if (code === null || code === -1) {
      if (code === null) withoutPatch++;
      continue;
    }
    // The frame shown: the id with this code (mod 64) nearest to the chunk being heard.
    const heard = heardAt(t);
    const k = code + 64 * Math.round((heard - code) / 64);
    const at = speaker.get(k);
    if (at === undefined) continue;
    errors.push(t - at);
    slots.push(k);
  }
  const gaps = slots.slice(1).map((k, i) => k - slots[i]);
  const intervals = shown.slice(1).map(([t], i) => t - shown[i][0]);
  return {
    errorMs: { ...dist(errors.map(Math.abs)), max: errors.length ? Math.max(...errors.map(Math.abs)) : null, meanSigned: errors.reduce((a, b) => a + b, 0) / Math.max(1, errors.length) },
    slotsShown: slots.length,
    slotsSkipped: gaps.reduce((n, g) => n + Math.max(0, g - 1), 0),
    outOfOrder: gaps.filter((g) => g <= 0).length,
    baseFrameShown: withoutPatch,
    blankAnimationFrames: blank,
    chunksRecognised: known.length,
    chunksScheduled: audio.length,
    refreshMs: median(intervals),
  };
}

/**
 * One audible session with a fixed 200 ms playback delay against a second reference server that
 * stamps frame ids into the patches; `jank` blocks the page's main thread 300 ms every second.
 * Reports the presentation error read from the screen, the server's request inter-arrival times
 * (capture cadence) and long tasks.
 */
async function presentationPhase(seconds, jank) {
  const { startServer } = await import(pathToFileURL(resolve(root, 'node_modules/.cache/demo-server/server.mjs')).href);
  const arrived = [];
  const stamped = await startServer({ port: 0, modelsDir: resolve(root, 'demo/models'), summaryEverySec: 0, log: () => {}, stampFrameIds: true, onRequest: () => arrived.push(performance.now()) });
  try {
    const { page, cdp } = await openPage();
    await page.evaluate(() => (__bench.screen.on = true));
    await startSessions(page, 1, { server: stamped.url, 'playback-delay': '200' });
    await sleep(1000);
    const firstArrival = arrived.length;
    if (jank) await startJank(page);
    const w = await window_(page, cdp, seconds);
    const seen = await page.evaluate(() => {
      clearInterval(window.__jank);
      const P = __bench.screen;
      P.on = false;
      return { shown: P.shown, audio: P.audio, fingerprints: [...P.fingerprints] };
    });
    const m = await page.evaluate(() => document.querySelector('lipsync-session').metrics);
    const blocks = jank ? await duringBlocks(page) : undefined;
    await page.close();
    const mine = arrived.slice(firstArrival);
    const gaps = mine.slice(1).map((t, i) => t - mine[i]);
    return {
      seconds,
      duringBlocks: blocks,
      ...presentationFigures(seen),
      serverInterArrivalMs: { ...dist(gaps), max: gaps.length ? Math.max(...gaps) : null },
      lateFrames: m.lateFrames,
      sessionSyncErrorP95Ms: m.syncErrorMs,
      longTasks: w.longTasks,
      framesPerSecond: w.framesPerSecond,
    };
  } finally {
    await stamped.close();
  }
}

/**
 * One audible session with default attributes (`playback-delay` auto) against a stamped reference
 * server with a real GPU's latency (`server`: the `gpu` profile, or latency + jitter): first AI
 * frame on screen, late frames, the delay the session settles on against p95 latency, and the
 * presentation error read from the screen.
 */
async function latencyPhase(seconds, server, jank = false) {
  const { startServer } = await import(pathToFileURL(resolve(root, 'node_modules/.cache/demo-server/server.mjs')).href);
  const arrived = [];
  const stamped = await startServer({ port: 0, modelsDir: resolve(root, 'demo/models'), summaryEverySec: 0, log: () => {}, stampFrameIds: true, onRequest: () => arrived.push(performance.now()), ...server });
  try {
    const { page } = await openPage();
    await page.evaluate(() => (__bench.screen.on = true));
    await startSessions(page, 1, { server: stamped.url });
    await sleep(1000);
    const firstArrival = arrived.length;
    if (jank) await startJank(page);
    await sleep(seconds * 1000 - 1000);
    const seen = await page.evaluate(() => {
      clearInterval(window.__jank);
      const P = __bench.screen;
      P.on = false;
      return { shown: P.shown, audio: P.audio, fingerprints: [...P.fingerprints] };
    });
    const m = await page.evaluate(() => document.querySelector('lipsync-session').metrics);
    const blocks = jank ? await duringBlocks(page) : undefined;
    await page.close();
    const p = presentationFigures(seen);
    const mine = arrived.slice(firstArrival);
    const gaps = mine.slice(1).map((t, i) => t - mine[i]);
    return {
      seconds,
      server,
      jank,
      duringBlocks: blocks,
      serverInterArrivalMs: { ...dist(gaps), max: gaps.length ? Math.max(...gaps) : null },
      firstFrameMs: m.firstFrameMs,
      lateFrames: m.lateFrames,
      framesGenerated: m.framesGenerated,
      latencyMs: m.latencyMs,
      playbackDelayMs: m.playbackDelayMs,
      sessionSyncErrorP95Ms: m.syncErrorMs,
      ...p,
    };
  } finally {
    await stamped.close();
  }
}

/** Blocks the page's main thread 300 ms every second (a heavy page: ads, analytics, a theme). */
const JANK_EVERY_MS = 1000;
function startJank(page) {
  return page.evaluate((every) => {
    window.__blocks = [];
    window.__jank = setInterval(() => {
      const t = performance.now();
      while (performance.now() - t < 300);
      window.__blocks.push([t, performance.now()]);
    }, every);
  }, JANK_EVERY_MS);
}

/**
 * Inside the blocks of `startJank`: chunks heard (handed to the audio clock before the block:
 * the page could not in it) and slots the network Worker put on screen where it draws the views
 * (none where the views are drawn on the main thread: it is blocked).
 */
function duringBlocks(page) {
  return page.evaluate(() => {
    const blocks = window.__blocks.slice(1);
    const shown = [];
    for (let n = 0; n < __bench.workerShown.length; n += 3) shown.push(__bench.workerShown[n + 1] - performance.timeOrigin);
    const inside = (t) => blocks.some(([a, b]) => t > a && t <= b);
    return { blocks: blocks.length, heard: __bench.screen.audio.filter(([, t]) => inside(t)).length, shown: shown.filter(inside).length };
  });
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

  // Cold extraction (cache cleared) and the cached load of the demo video: when the first base
  // frame is on the canvas (read from its pixels), when the session is ready, when every frame
  // is in, and the page's main-thread time (CDP TaskDuration) over the whole load.
  {
    const { page, cdp } = await openPage();
    const load = async () => {
      const before = await cdpMetrics(cdp);
      await page.evaluate(() => {
        const s = document.createElement('lipsync-session');
        s.setAttribute('model', 'demo');
        s.setAttribute('models-base', '/demo/models');
        s.innerHTML = '<lipsync-canvas></lipsync-canvas>';
        const x = (window.__load = { s, t0: performance.now() });
        s.addEventListener('lipsync-state-change', (e) => e.detail.state === 'ready' && (x.ready ??= performance.now() - x.t0));
        s.addEventListener('lipsync-progress', (e) => e.detail.loaded === e.detail.total && (x.all ??= performance.now() - x.t0));
        // Read in a task right after each animation frame's callbacks (the view draws in its own),
        // stamped with that frame's time.
        // (Read through a drawImage: the view's canvas has no 2D context.)
        const probe = new OffscreenCanvas(1, 1).getContext('2d', { willReadFrequently: true });
        const painted = (c) => {
          try {
            probe.drawImage(c, -360, -400, c.width, c.height);
          } catch {
            return false;
          }
          return probe.getImageData(0, 0, 1, 1).data[3] > 0;
        };
        const drawn = (now) =>
          setTimeout(() => {
            const c = s.querySelector('lipsync-canvas')?.shadowRoot?.querySelector('canvas');
            if (c && painted(c)) x.drawn = now - x.t0;
            else requestAnimationFrame(drawn);
          }, 0);
        requestAnimationFrame(drawn);
        document.getElementById('grid').append(s);
      });
      await page.waitForFunction(() => __load.all !== undefined && __load.drawn !== undefined, { timeout: 120_000, polling: 50 });
      const after = await cdpMetrics(cdp);
      const r = await page.evaluate(() => ({ readyMs: __load.ready, firstFrameMs: __load.drawn, allFramesMs: __load.all }));
      return { ...r, mainThreadMs: (after.TaskDuration - before.TaskDuration) * 1000 };
    };
    // Every frame in IndexedDB (writes trail the extraction a little).
    const cached = () =>
      page.waitForFunction(
        async () => {
          const open = indexedDB.open('lipsync-elements:demo');
          await new Promise((r) => (open.onsuccess = r));
          const db = open.result;
          const n = await new Promise((r) => {
            const q = db.transaction('frames').objectStore('frames').count();
            q.onsuccess = () => r(q.result);
          });
          db.close();
          return n === 250;
        },
        { timeout: 60_000, polling: 200 },
      );
    const first = await load();
    await cached();
    await page.evaluate(() => __load.s.clearCache().then(() => __load.s.remove()));
    await sleep(200);
    const cold = await load();
    await cached();
    await page.evaluate(() => __load.s.remove());
    await sleep(200);
    const warm = await load();
    // The same page idle with its view drawing (nothing loading): the baseline the loads' main-thread time includes.
    const idle0 = await cdpMetrics(cdp);
    await sleep(3000);
    const idle1 = await cdpMetrics(cdp);
    await page.evaluate(() => __load.s.remove());
    void first;
    results.extraction = { coldMs: cold.allFramesMs, cachedMs: warm.allFramesMs, cold, cached: warm, idleMainThreadMsPerSecond: ((idle1.TaskDuration - idle0.TaskDuration) * 1000) / 3 };
    if (!onlyExtraction) {
      results.codec = await codecFigures(page);
      // ZIP reading inside a Worker (where the network Worker reads answers): ours vs fflate.
      results.zipInWorker = await page.evaluate(
        (n) =>
          new Promise((resolve, reject) => {
            const w = new Worker('/bench/inflate-worker.js', { type: 'module' });
            w.onmessage = (e) => (resolve(e.data), w.terminate());
            w.onerror = (e) => reject(new Error(e.message));
            w.postMessage(n);
          }),
        2000,
      );
    }
    await page.close();
  }

  if (onlyMainThread) {
    results.mainThread = { oneSession: [], fourSessions: [] };
    for (let r = 0; r < Number(arg('--repeat', '3')); r++) {
      for (const [count, key] of [[1, 'oneSession'], [4, 'fourSessions']]) {
        const { page, cdp } = await openPage();
        await startSessions(page, count);
        await sleep(2000);
        if (args.includes('--profile')) await cdp.send('Profiler.enable').then(() => cdp.send('Profiler.start'));
        results.mainThread[key].push(await window_(page, cdp, S));
        if (args.includes('--profile')) {
          const { profile } = await cdp.send('Profiler.stop');
          const self = new Map();
          const byId = new Map(profile.nodes.map((n) => [n.id, n]));
          profile.samples.forEach((id, i) => {
            const f = byId.get(id).callFrame;
            const k = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber}:${f.columnNumber}`;
            self.set(k, (self.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
          });
          console.log(`${count} session(s), self time over ${S} s:`);
          for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${ms.toFixed(0).padStart(7)} ms  ${k}`);
        }
        await page.close();
      }
    }
  } else if (!onlyExtraction) {
    // One session: latency figures, presentation, main thread, wire bytes, memory with the ring full.
    {
      const { page, cdp } = await openPage();
      const memoryBefore = await memoryDump(cdp);
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
        const requestToResponse = [...B.arrivals].filter(([id]) => B.sends.has(id)).map(([id, t]) => t - B.sends.get(id));
        return { captureToSend, responseToReady, requestToResponse };
      });
      // The 20 s ring (500 slots) is full after 20 s of capture.
      const ringFullIn = Math.max(0, 21 - S - 3);
      if (ringFullIn > 0 && S >= 10) await sleep(ringFullIn * 1000);
      await page.evaluate(() => new Promise((r) => setTimeout(r, 100)));
      const heap = await cdpMetrics(cdp);
      const memory = await memoryDump(cdp);
      results.oneSession = {
        captureToSendMs: dist(timing.captureToSend),
        responseToFrameReadyMs: dist(timing.responseToReady),
        requestToResponseMs: dist(timing.requestToResponse),
        sessionLatencyMs: m1.latencyMs,
        sessionSyncErrorP95Ms: m1.syncErrorMs,
        lateFrames: m1.lateFrames,
        firstFrameMs: m1.firstFrameMs,
        bytesPerSecond: { sent: m1.bytesSent - m0.bytesSent, received: m1.bytesReceived - m0.bytesReceived },
        ...w,
        jsHeapMB: heap.JSHeapUsedSize / 1e6,
        memory: {
          ringFull: memory,
          pageWithoutSession: memoryBefore,
          sessionAddsMB: memory.rendererMB - memoryBefore.rendererMB + (memory.gpuProcessMB - memoryBefore.gpuProcessMB),
        },
        audioBufferFill: m1.audioBufferFill,
      };
      await page.close();
    }

    // Presentation over 3 × the phase (60 s in a full run), steady.
    results.presentation = await presentationPhase(3 * S, false);

    // Four sessions on one page.
    {
      const { page, cdp } = await openPage();
      await startSessions(page, 4);
      await sleep(2000);
      results.fourSessions = await window_(page, cdp, Math.max(1, S / 2));
      await page.close();
    }

    // Jank: the same with the page's main thread blocked 300 ms every second.
    results.jank = await presentationPhase(Math.max(6, S), true);

    // A real GPU server's latency, default attributes: the reference server's gpu profile, and --latency 600 --jitter 150 (600–750 ms).
    results.gpu = await latencyPhase(Math.max(8, 2 * S), { profile: 'gpu' });
    results.gpuJank = await latencyPhase(Math.max(8, 2 * S), { profile: 'gpu' }, true);
    results.latency600 = await latencyPhase(Math.max(8, 2 * S), { latencyMs: 600, jitterMs: 150 });
  }
} finally {
  await browser.close();
  await demo.close();
}

if (onlyMainThread) {
  for (const [key, runs] of Object.entries(results.mainThread)) console.log(`${key}: ${runs.map((w) => `${w.mainThreadMsPerFrame.toFixed(2)} ms (script ${w.scriptMsPerFrame.toFixed(2)}, ${w.framesPerSecond.toFixed(1)} fps)`).join(', ')}`);
  process.exit(0);
}
if (onlyExtraction) {
  console.log(JSON.stringify(results.extraction, null, 1));
  process.exit(0);
}
mkdirSync(resolve(root, 'bench'), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);

const f = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(d));
const o = results.oneSession;
const pr = results.presentation;
const jk = results.jank;
const blocksRow = (b) => (b ? `${b.heard} / ${b.shown} over ${b.blocks} blocks of 300 ms (7.5 slots each)` : 'n/a');
const presentationRow = (p) =>
  `${f(p.errorMs?.p50)} / ${f(p.errorMs?.p99)} / ${f(p.errorMs?.max)} ms over ${p.slotsShown} slots (refresh ${f(p.refreshMs)} ms); ${p.slotsSkipped} skipped, ${p.outOfOrder} out of order, base frame shown ${p.baseFrameShown}×, blank ${p.blankAnimationFrames}×, late frames ${p.lateFrames}`;
const memoryRow = ({ ringFull: m, pageWithoutSession: b, sessionAddsMB }) => {
  const a = m.rendererAllocatorsMB ?? {};
  return `renderer ${f(m.rendererMB)} MB + GPU process ${f(m.gpuProcessMB)} MB; the session adds ${f(sessionAddsMB)} MB to the page (renderer ${f(b.rendererMB)} → ${f(m.rendererMB)} MB); renderer V8 ${f(a.v8)}, malloc (incl. decoded frames) ${f(a.malloc)}, canvas ${f(a.canvas)}, shared memory ${f(a.shared_memory)} MB; JS heap used ${f(o.jsHeapMB)} MB`;
};
const codecRow = (c, ...ops) =>
  `${ops.map((op) => `${op.replace(/[A-Z]/, (x) => ` ${x.toLowerCase()}`)} ${f(c[op].binaryUs)} vs ${f(c[op].jsonUs)} µs (×${f(c[op].speedup)})`).join(', ')}; base64: ${c.base64}`;
const interArrivalRow = (p) => `${f(p.serverInterArrivalMs.p50)} / ${f(p.serverInterArrivalMs.p99)} / ${f(p.serverInterArrivalMs.max)} ms; ${p.longTasks.count} long tasks`;
const rows = [
  ['capture → send (p50 / p99)', `${f(o.captureToSendMs.p50)} / ${f(o.captureToSendMs.p99)} ms`],
  ['response → frame ready (p50 / p99)', `${f(o.responseToFrameReadyMs.p50)} / ${f(o.responseToFrameReadyMs.p99)} ms`],
  ['request → response (p50 / p99)', `${f(o.requestToResponseMs.p50)} / ${f(o.requestToResponseMs.p99)} ms`],
  [`presentation error |screen − speaker|, ${pr.seconds} s (p50 / p99 / max)`, presentationRow(pr)],
  ['first AI frame on screen', `${f(o.firstFrameMs, 0)} ms`],
  ['main thread per animation frame, 1 session', `${f(o.mainThreadMsPerFrame, 2)} ms (script ${f(o.scriptMsPerFrame, 2)} ms), ${f(o.framesPerSecond)} fps, ${o.longTasks.count} long tasks`],
  ['main thread per animation frame, 4 sessions', `${f(results.fourSessions.mainThreadMsPerFrame, 2)} ms (script ${f(results.fourSessions.scriptMsPerFrame, 2)} ms), ${f(results.fourSessions.framesPerSecond)} fps, ${results.fourSessions.longTasks.count} long tasks`],
  ['memory, 1 session, 20 s ring full (Chromium memory-infra)', memoryRow(o.memory)],
  ['bytes on the wire per second', `${f(o.bytesPerSecond.sent / 1000)} KB up, ${f(o.bytesPerSecond.received / 1000)} KB down`],
  ['codec vs JSON + base64: client side, in the browser', codecRow(results.codec.browser, 'encodeRequest', 'decodeResponse')],
  ['codec vs JSON + base64: server side, in Node', codecRow(results.codec.node, 'decodeRequest', 'encodeResponse')],
  [`ZIP reading in a Worker, a ${results.zipInWorker.jpegBytes} B JPEG patch: ours (DecompressionStream) vs fflate unzipSync`, ['stored', 'deflated'].map((k) => `${k} ${f(results.zipInWorker[k].readZipUs)} vs ${f(results.zipInWorker[k].fflateUs)} µs`).join('; ')],
  ['message size, binary vs JSON + base64', `request ${results.codec.node.requestBytes.binary} vs ${results.codec.node.requestBytes.json} B, response ${results.codec.node.responseBytes.binary} vs ${results.codec.node.responseBytes.json} B`],
  ...[['cold extraction (demo video, cache cleared)', results.extraction.cold], ['cached load (demo video)', results.extraction.cached]].map(([name, x]) => [
    `${name}: first base frame on screen / ready / all 250 frames; main-thread time over the load`,
    `${f(x.firstFrameMs, 0)} / ${f(x.readyMs, 0)} / ${f(x.allFramesMs, 0)} ms; ${f(x.mainThreadMs, 0)} ms (the idle page with its view: ${f(results.extraction.idleMainThreadMsPerSecond, 0)} ms a second)`,
  ]),
  ['bundle, gzipped', `${(results.bundleGzipBytes / 1024).toFixed(2)} KB`],
  ['capture cadence: server inter-arrival (p50 / p99 / max)', interArrivalRow(pr)],
  [`jank (300 ms block every second), ${jk.seconds} s: server inter-arrival`, interArrivalRow(jk)],
  ['jank: presentation error (p50 / p99 / max)', presentationRow(jk)],
  ['jank: inside the blocks, chunks heard / slots the network Worker put on screen', blocksRow(jk.duringBlocks)],
  ['gpu profile with jank: inside the blocks, chunks heard / slots the network Worker put on screen', blocksRow(results.gpuJank.duringBlocks)],
  [`gpu profile with jank (300 ms block every second), ${results.gpuJank.seconds} s: late frames; server inter-arrival`, `${results.gpuJank.lateFrames} slots played without their AI frame (without jank: ${results.gpu.lateFrames}); inter-arrival p50 / p99 / max ${f(results.gpuJank.serverInterArrivalMs.p50)} / ${f(results.gpuJank.serverInterArrivalMs.p99)} / ${f(results.gpuJank.serverInterArrivalMs.max)} ms`],
  ...[['gpu profile', results.gpu], ['--latency 600 --jitter 150', results.latency600]].flatMap(([name, g]) => [
    [`${name}, default attributes, ${g.seconds} s: first AI frame on screen, delay vs latency`, `first AI frame ${f(g.firstFrameMs, 0)} ms after start; latency p50 / p95 ${f(g.latencyMs.p50, 0)} / ${f(g.latencyMs.p95, 0)} ms; playback delay ${g.playbackDelayMs} ms; ${g.lateFrames} slots played without their AI frame, ${g.framesGenerated} AI frames`],
    [`${name}: presentation error (p50 / p99 / max)`, presentationRow(g)],
  ]),
];
console.log(`\nlipsync-elements bench — ${results.measuredOn}, ${S} s phases\n`);
console.log('| figure | value |\n| --- | --- |');
for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
console.log(`\nwritten ${out}`);
