import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, startTestDemo, type TestDemo } from './browser.js';


// Issue 12, read from the screen of a real Chromium: the avatar is on screen at once, on an
// empty profile and on a second visit, and speech is never heard over a black or frozen view.
// The base video is the demo model's with each frame's number stamped on it
// (test/fixtures/make-numbered-demo.sh), so the screen says which base frame it shows.

const page = (server: string, extra: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>first frame</title><link rel="icon" href="data:,">
<script type="module" src="/dist/lipsync-elements.min.js"></script></head>
<body style="margin:0">
<lipsync-session server="${server}" model="demo" video-src="/test/fixtures/demo-numbered.mp4" ${extra}>
<lipsync-canvas style="width:180px"></lipsync-canvas></lipsync-session>
</body></html>`;

/**
 * Runs in the page before its scripts: at every animation frame, which base frame the canvas
 * shows (its stamp; -1 nothing drawn, -2 unreadable), and for every audio buffer the session
 * starts, when it reaches the speaker, how long it lasts and its loudness.
 */
const observer = `(() => {
  const R = (window.__ff = { frames: [], audio: [], loaded: 0, total: 0, answers: {} });
  // When each AI frame became ready (time, latency, the delay then): to tell a late answer from a slow client.
  document.addEventListener('lipsync-frame', (e) => { R.answers[e.detail.frameId] = [performance.now(), e.detail.latency, e.target.metrics?.playbackDelayMs ?? -1]; }, true);
  // The row y = 40 of the picture in the video's coordinates (the view composes it at its shown size).
  const probe = new OffscreenCanvas(420, 1).getContext('2d', { willReadFrequently: true });
  // What is on screen: the canvas the session's network Worker draws in (over the view's own)
  // where it has drawn, else the view's own; in the video's coordinates (the view's own canvas's size).
  const read = () => {
    const view = document.querySelector('lipsync-canvas');
    const own = view?.shadowRoot?.querySelector('canvas');
    if (!own) return -1;
    const layers = [view.canvas, own];
    probe.clearRect(0, 0, 420, 1);
    try {
      for (const c of layers) {
        probe.drawImage(c, 0, -40, own.width, own.height);
        if (probe.getImageData(40, 0, 1, 1).data[3] !== 0) break;
      }
    } catch {
      return -1;
    }
    const d = probe.getImageData(0, 0, 420, 1).data;
    let n = 0;
    for (let bit = 0; bit < 8; bit++) {
      const p = (40 + bit * 50) * 4;
      if (d[p + 3] === 0) return -1;
      if (d[p] > 200) n |= 1 << bit;
      else if (d[p] > 55) return -2;
    }
    return n;
  };
  // Read in a task right after each animation frame's callbacks (the views draw in theirs), and
  // stamped with that frame's time.
  // Also which slot the session shows and whether with its AI frame (what the view draws).
  const slot = (now) => {
    // (Without its base frame: asking for it would decode frames the views, drawn in the network
    // Worker, do not need — the page's decoding Worker would do the work twice.)
    const f = document.querySelector('lipsync-session')?.sessionContext?.frameAt(now, false);
    return f ? [f.frameId, f.ai ? 1 : 0] : [-1, 0];
  };
  const tick = (now) => {
    const [id, ai] = slot(now);
    setTimeout(() => R.frames.push([now, read(), id, ai]), 0);
    if (R.frames.length < 20000) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  document.addEventListener('lipsync-progress', (e) => { R.loaded = e.detail.loaded; R.total = e.detail.total; }, true);
  const start = AudioBufferSourceNode.prototype.start;
  AudioBufferSourceNode.prototype.start = function (when = 0, ...rest) {
    const stamp = this.context.getOutputTimestamp();
    const b = this.buffer;
    let e = 0;
    if (b) {
      const s = b.getChannelData(0);
      for (let i = 0; i < s.length; i++) e += s[i] * s[i];
      e = Math.sqrt(e / s.length);
    }
    if (stamp.performanceTime) R.audio.push([stamp.performanceTime + (when - stamp.contextTime) * 1000, b ? (b.duration * 1000) / this.playbackRate.value : 0, e]);
    return start.call(this, when, ...rest);
  };
})();`;

interface Seen {
  /** Per animation frame: time, base frame number on screen, slot shown, 1 if with its AI frame. */
  frames: Array<[number, number, number, number]>;
  audio: Array<[number, number, number]>;
  /** Per AI frame id: when it became ready, its latency, the playback delay then. */
  answers: Record<number, [number, number, number]>;
  loaded: number;
  total: number;
}

const read = (p: Page) => p.evaluate(() => (window as unknown as { __ff: Seen }).__ff);

async function open(context: { newPage(): Promise<Page> }, url: string): Promise<Page> {
  const p = await context.newPage();
  await p.setViewport({ width: 800, height: 600 });
  await p.evaluateOnNewDocument(observer);
  await p.goto(url, { waitUntil: 'domcontentloaded', timeout: 30_000 });
  return p;
}

/** Milliseconds from navigation to the first animation frame showing a base frame. */
async function firstFrame(p: Page): Promise<number> {
  await p.waitForFunction(() => (window as unknown as { __ff: Seen }).__ff.frames.some(([, n]) => n >= 0), { timeout: 15_000, polling: 50 });
  const seen = await read(p);
  return seen.frames.find(([, n]) => n >= 0)![0];
}

describe('the avatar on screen at once (issue 12)', { timeout: 240_000 }, () => {
  let demo: TestDemo;
  let browser: Browser;
  const base = () => demo.origin;

  before(async () => {
    demo = await startTestDemo(
      (ws) => ({
        '/test/still.html': { html: page(ws, '') },
        '/test/autostart.html': { html: page(ws, `input="file" audio-src="/demo/audio/speech.wav" autostart`) },
      }),
      [['/test/fixtures/', 'test/fixtures']],
    );
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('first base frame within a few hundred ms of navigation on an empty profile, faster on the second visit', async () => {
    // The browser is running already, as a visitor's is.
    const blank = await browser.newPage();
    await blank.goto('about:blank');
    await blank.close();
    const cold: number[] = [];
    const warm: number[] = [];
    for (let run = 0; run < 3; run++) {
      // A new browser context: no cache, no IndexedDB — an empty profile.
      const context = await browser.createBrowserContext();
      try {
        const first = await open(context, `${base()}/test/still.html`);
        cold.push(await firstFrame(first));
        // Extraction goes on after the first frame; the second visit comes once the cache is full…
        await first.waitForFunction(() => {
          const R = (window as unknown as { __ff: Seen }).__ff;
          return R.total > 0 && R.loaded === R.total;
        }, { timeout: 30_000, polling: 100 });
        // …and its frames are all in IndexedDB (written as they come, a little behind).
        await first.waitForFunction(
          async () => {
            const open = indexedDB.open('lipsync-elements:demo');
            await new Promise((r) => (open.onsuccess = r));
            const db = open.result;
            const count = await new Promise<number>((r) => {
              const q = db.transaction('frames').objectStore('frames').count();
              q.onsuccess = () => r(q.result);
            });
            db.close();
            return count === 250;
          },
          { timeout: 30_000, polling: 200 },
        );
        const coldSeen = await read(first);
        await first.close();
        // Frames are shown while the rest is extracted: the stamp read is frame 0 until start().
        assert.ok(coldSeen.frames.filter(([, n]) => n >= 0).every(([, n]) => n === 0), 'frame 0 shown before start()');
        const second = await open(context, `${base()}/test/still.html`);
        warm.push(await firstFrame(second));
        await second.close();
      } finally {
        await context.close();
      }
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
    console.log(`first base frame on screen after navigation: empty profile ${cold.map((v) => v.toFixed(0)).join(', ')} ms (median ${median(cold).toFixed(0)}), second visit ${warm.map((v) => v.toFixed(0)).join(', ')} ms (median ${median(warm).toFixed(0)})`);
    assert.ok(Math.max(...cold) <= 1000, `empty profile: first frame after ${cold.join(', ')} ms (goal 300, at most 1000)`);
    // Guards with room for this machine's drift, tighter than the hard limit: medians here on
    // 2026-12-06 were 257–344 ms (empty profile) and 130–164 ms (second visit) over seven runs.
    // (Without the omnibox-popup flag in scripts/chromium-flags.mjs, Chromium's own WebUI renderer
    // took a core during each load: 479–563 and 215–224 ms, the same hour.)
    assert.ok(median(cold) <= 450, `empty profile: median ${median(cold)} ms (goal 300)`);
    assert.ok(median(warm) <= 200, `second visit: median ${median(warm)} ms (goal 150)`);
    assert.ok(median(warm) < median(cold), 'the second visit is faster');
  });

  it('with autostart on an empty profile (gpu server), speech is never heard over a black or frozen view', async () => {
    const results: Array<{ lateFrames: number; label: string; mouthless: number; speechSlots: number }> = [];
    // Twice: an empty profile (extraction racing the running session), then the same profile
    // with every frame cached. Late frames vary run to run (8–16 in cached runs here).
    for (let round = 0; round < 2; round++) {
      const context = await browser.createBrowserContext();
      try {
        for (const label of ['empty profile', 'cached']) {
          const p = await open(context, `${base()}/test/autostart.html`);
          await p.waitForFunction(() => document.querySelector('lipsync-session')?.getAttribute('data-state') === 'running', { timeout: 15_000, polling: 50 });
          await new Promise((r) => setTimeout(r, 9000));
          const seen = await read(p);
          const lateFrames = await p.evaluate(() => (document.querySelector('lipsync-session') as unknown as { metrics: { lateFrames: number } }).metrics.lateFrames);
          await p.close();
          // Speech slots heard without their AI frame: the mouth that did not move.
          const speechSlots = new Set<number>();
          const withAi = new Set<number>();
          for (const [t, , id, ai] of seen.frames) {
            if (id < 0) continue;
            if (ai) withAi.add(id);
            if (seen.audio.some(([s, d, rms]) => d <= 100 && rms > 0.01 && t >= s && t < s + d)) speechSlots.add(id);
          }
          const missing = [...speechSlots].filter((id) => !withAi.has(id));
          const mouthless = missing.length;
          if (missing.length) {
            // For each: when it was first on screen, and when its answer was ready (latency, delay then).
            const detail = missing.map((id) => {
              const shown = seen.frames.find(([, , fid]) => fid === id)?.[0];
              const a = seen.answers[id];
              return a ? `${id} (on screen ${shown?.toFixed(0)}, ready ${a[0].toFixed(0)}, latency ${a[1].toFixed(0)}, delay ${a[2]})` : `${id} (on screen ${shown?.toFixed(0)}, no answer)`;
            });
            console.log(`${label}: speech slots without their AI frame: ${detail.join(', ')}`);
          }
          results.push({ lateFrames, label, mouthless, speechSlots: speechSlots.size });

          // Every chunk of speech (loud enough to be speech), while it sounds: the view shows a
          // readable base frame, and it is not frozen — it changes within any 120 ms.
          // The played-back chunks (40 ms each; the file's own source feeds capture, not the speaker).
          const chunks = seen.audio.filter(([, d]) => d <= 100);
          const speech = chunks.filter(([, , rms]) => rms > 0.01);
          assert.ok(speech.length > 50, `${label}: ${speech.length} speech chunks heard`);
          const firstHeard = Math.min(...chunks.map(([t]) => t));
          const lastT = seen.frames.at(-1)![0];
          const during = seen.frames.filter(([t]) => t >= firstHeard && t <= lastT - 50);
          const sounding = (t: number) => speech.some(([s, d]) => t >= s && t < s + d);
          const blank = during.filter(([t, n]) => sounding(t) && n < 0);
          assert.equal(blank.length, 0, `${label}: animation frames with speech heard over a black or unreadable view: ${JSON.stringify(blank.slice(0, 5))}`);
          // Time a view stays unchanged while speech sounds (silence the playout inserts before a
          // held onset does not count: nothing is heard then).
          let frozenMs = 0;
          let still = 0;
          for (let i = 1; i < during.length; i++) {
            const [t, n] = during[i]!;
            const [pt, pn] = during[i - 1]!;
            if (n !== pn) still = 0;
            else if (sounding(t) && sounding(pt)) frozenMs = Math.max(frozenMs, (still += t - pt));
          }
          // The base video's rate while speech sounds: frames advanced over the time it sounded.
          let advanced = 0;
          let heardMs = 0;
          for (let i = 1; i < during.length; i++) {
            const [t, n] = during[i]!;
            const [pt, pn] = during[i - 1]!;
            if (!sounding(t) || !sounding(pt)) continue;
            heardMs += t - pt;
            advanced += (n - pn + 250) % 250;
            if (process.env['FF_DEBUG'] && (n - pn + 250) % 250 > 3) console.log('jump', label, JSON.stringify(during.slice(Math.max(0, i - 4), i + 3)), JSON.stringify(chunks.filter(([c]) => c > pt - 100 && c < t + 60).map(([c, d, r]) => [Math.round(c), Math.round(d), +r.toFixed(3)])));
          }
          const rate = advanced / (heardMs / 1000);
          console.log(`${label}: ${during.length} animation frames after the first heard chunk, ${speech.length} speech chunks; longest unchanged view while speech sounds ${frozenMs.toFixed(0)} ms; base video ${rate.toFixed(1)} frames/s while speech sounds; late frames ${lateFrames}`);
          assert.ok(frozenMs <= 120, `${label}: view frozen ${frozenMs.toFixed(0)} ms while speech sounded`);
          assert.ok(rate > 23 && rate < 27, `${label}: base video at ${rate.toFixed(1)} frames/s while speech sounds`);
        }
      } finally {
        await context.close();
      }
    }
    // Extraction racing the session costs the speech (almost) no AI frames. (`lateFrames` also
    // counts the silence before the first words, played while their frames are on the way.)
    const sum = (label: string, k: 'mouthless' | 'speechSlots') => results.filter((r) => r.label === label).reduce((n, r) => n + r[k], 0);
    const line = results.map((r) => `${r.label}: ${r.mouthless} of ${r.speechSlots} speech slots without their AI frame (late frames ${r.lateFrames})`).join('; ');
    console.log(line);
    // Measured here (2 cores shared by Chromium, both Workers and the reference server): 0–5 per
    // cold run against 0–2 per cached run, of ~157. The bound: 3 % of the speech slots.
    for (const label of ['empty profile', 'cached']) assert.ok(sum(label, 'mouthless') <= 0.03 * sum(label, 'speechSlots'), line);
  });
});
