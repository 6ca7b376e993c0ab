// Where the page's main thread goes while sessions run: a Chromium trace (devtools.timeline) of
// the renderer's main thread, summed by event name, per animation frame.
//   node bench/trace-main.mjs [--sessions 1] [--seconds 5] [--no-build]
import puppeteer from 'puppeteer-core';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemo } from '../scripts/start.mjs';
import { chromiumFlags, chromiumPath, fakeMicrophone } from '../scripts/chromium-flags.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const arg = (flag, fallback) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : fallback;
};
const sessions = Number(arg('--sessions', '1'));
const seconds = Number(arg('--seconds', '5'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const demo = await startDemo({ port: 0, wsPort: 0, server: { profile: 'instant' }, serve: [['/bench/', 'bench']], runBuild: !args.includes('--no-build'), log: () => {} });
const browser = await puppeteer.launch({
  executablePath: chromiumPath,
  headless: true,
  args: [...chromiumFlags, ...fakeMicrophone(resolve(root, 'demo/audio/speech.wav'))],
});
async function openPage() {
  const page = await browser.newPage();
  await page.setViewport({ width: 800, height: 600 });
  await page.goto(demo.url.replace(/\/demo\/$/, '/bench/'), { waitUntil: 'load', timeout: 30_000 });
  await page.waitForFunction(() => customElements.get('lipsync-session'), { timeout: 10_000 });
  return page;
}
try {
  // The model video in the cache first (as in the bench's session phases): one session loads it.
  {
    const page = await openPage();
    await page.evaluate(() => {
      const s = document.createElement('lipsync-session');
      s.setAttribute('model', 'demo');
      s.setAttribute('models-base', '/demo/models');
      s.innerHTML = '<lipsync-canvas></lipsync-canvas>';
      document.getElementById('grid').append(s);
    });
    await page.waitForFunction(
      async () => {
        const open = indexedDB.open('lipsync-elements:demo');
        await new Promise((r) => (open.onsuccess = r));
        const db = open.result;
        const n = await new Promise((r) => {
          const q = db.transaction('frames').objectStore('frames').count();
          q.onsuccess = () => r(q.result);
          q.onerror = () => r(0);
        }).catch(() => 0);
        db.close();
        return n === 250;
      },
      { timeout: 120_000, polling: 500 },
    );
    await page.close();
  }
  const page = await browser.newPage();
  await page.setViewport({ width: 800, height: 600 });
  await page.goto(demo.url.replace(/\/demo\/$/, '/bench/'), { waitUntil: 'load', timeout: 30_000 });
  await page.waitForFunction(() => customElements.get('lipsync-session'), { timeout: 10_000 });
  if (args.includes('--no-draw')) await page.evaluate(() => { CanvasRenderingContext2D.prototype.drawImage = OffscreenCanvasRenderingContext2D.prototype.drawImage = function () {}; });
  await page.evaluate(async (count, server) => {
    const grid = document.getElementById('grid');
    for (let i = 0; i < count; i++) {
      const s = document.createElement('lipsync-session');
      Object.entries({ server, model: 'demo', 'models-base': '/demo/models' }).forEach(([k, v]) => s.setAttribute(k, v));
      s.innerHTML = '<lipsync-canvas></lipsync-canvas>';
      grid.append(s);
    }
    const all = [...document.querySelectorAll('lipsync-session')];
    await Promise.all(all.map((s) => new Promise((r) => (s.state === 'ready' ? r() : s.addEventListener('lipsync-state-change', (e) => e.detail.state === 'ready' && r())))));
    await Promise.all(all.map((s) => s.start()));
  }, sessions, demo.inferenceUrl);
  await sleep(Number(arg('--wait', '3')) * 1000);
  if (args.includes('--profile')) {
    const cdp = await page.createCDPSession();
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
    await sleep(seconds * 1000);
    const { profile } = await cdp.send('Profiler.stop');
    const self = new Map();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const dt = profile.timeDeltas;
    const total = dt.reduce((a, b) => a + b, 0) / 1000;
    for (let i = 0; i < profile.samples.length; i++) {
      const n = byId.get(profile.samples[i]);
      const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}:${n.callFrame.columnNumber}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
    }
    console.log(`profile over ${total.toFixed(0)} ms`);
    for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${ms.toFixed(1).padStart(8)} ms  ${k}`);
  }
  await page.tracing.start({ categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', '__metadata'] });
  const r0 = await page.evaluate(() => __bench.rafs);
  await sleep(seconds * 1000);
  const r1 = await page.evaluate(() => __bench.rafs);
  const trace = JSON.parse(Buffer.from(await page.tracing.stop()).toString('utf8'));
  const events = trace.traceEvents;
  const threads = new Map(events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [`${e.pid}:${e.tid}`, e.args.name]));
  const frames = r1 - r0;
  const byThread = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || !e.dur) continue;
    const t = `${threads.get(`${e.pid}:${e.tid}`) ?? "?"} ${e.tid}`;
    const m = byThread.get(t) ?? byThread.set(t, new Map()).get(t);
    m.set(e.name, (m.get(e.name) ?? 0) + e.dur / 1000);
  }
  // Main thread: top-level tasks and their children by name.
  const mainTid = [...threads].find(([, n]) => n === 'CrRendererMain');
  console.log(`${sessions} session(s), ${seconds} s, ${frames} animation frames`);
  for (const [t, m] of byThread) {
    if (!/CrRendererMain|Compositor|Worker|Raster|VizCompositor|CrGpuMain|AudioWorklet|DedicatedWorker/.test(t)) continue;
    const top = [...m].sort((a, b) => b[1] - a[1]).slice(0, 25);
    console.log(`\n== ${t} (ms per animation frame)`);
    for (const [name, ms] of top) console.log(`${(ms / frames).toFixed(3).padStart(8)}  ${name}`);
  }
} finally {
  await browser.close();
  await demo.close();
}
