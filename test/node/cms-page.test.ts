import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, startTestDemo, type TestDemo } from './browser.js';

// Issue 13: a page as a CMS editor makes it — the script tag and the elements, no page script,
// no page CSS, a strict Content-Security-Policy — served with the built dist/ as it ships.


const csp = (ws: string) =>
  `default-src 'self'; script-src 'self'; style-src 'self'; worker-src 'self'; connect-src 'self' ${ws}; img-src 'self' blob: data:; media-src 'self' blob:`;

/** A page as the CMS serves it, its CSP in the response header. */
const cmsPage = (ws: string, session: string) => ({ headers: { 'Content-Security-Policy': csp(ws) }, html: cmsHtml(session) });

const cmsHtml = (session: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CMS page</title>
<link rel="icon" href="data:,">
<script type="module" src="/dist/lipsync-elements.min.js"></script></head>
<body>
<h1>Our avatar</h1>
<lipsync-session ${session}>
  <lipsync-canvas></lipsync-canvas>
  <lipsync-buffer-view></lipsync-buffer-view>
</lipsync-session>
</body></html>`;

/** Runs before the page's scripts (DevTools injects it, the page's CSP does not apply): records what the page itself cannot show. */
const observer = `(() => {
  const R = (window.__cms = { errors: [], violations: [] });
  document.addEventListener('lipsync-error', (e) => R.errors.push(e.detail), true);
  document.addEventListener('securitypolicyviolation', (e) => R.violations.push(e.blockedURI + ' ' + e.effectiveDirective));
})();`;

interface Seen {
  errors: Array<{ code: string; message: string }>;
  violations: string[];
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('a CMS page: script tag and elements only, strict CSP, no page CSS (issue 13)', { timeout: 180_000 }, () => {
  let demo: TestDemo;
  let browser: Browser;
  let dead = 0;
  const base = () => demo.origin;
  const requests: string[] = [];
  const failedRequests: string[] = [];

  before(async () => {
    dead = await closedPort();
    demo = await startTestDemo((ws) => {
      const file = `input="file" audio-src="/demo/audio/speech.wav" autostart`;
      return {
        '/cms/ok.html': cmsPage(ws, `server="${ws}" model="demo" models-base="/demo/models" ${file}`),
        // The editor typed a wrong port (the CSP allows it: the server is what is wrong).
        '/cms/unreachable.html': cmsPage(`${ws} ws://127.0.0.1:${dead}`, `server="ws://127.0.0.1:${dead}" model="demo" models-base="/demo/models" ${file}`),
        '/cms/no-model.html': cmsPage(ws, `server="${ws}" model="" models-base="/demo/models" ${file}`),
        '/cms/no-audio.html': cmsPage(ws, `server="${ws}" model="demo" models-base="/demo/models" input="file" audio-src="/demo/audio/missing.wav" autostart`),
        // The CSP does not allow the server: the view says it cannot reach it, not nothing.
        '/cms/csp-blocks-server.html': cmsPage(ws, `server="ws://127.0.0.1:${dead}" model="demo" models-base="/demo/models" ${file}`),
      };
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  async function open(path: string, before = ''): Promise<Page> {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    page.on('request', (r) => requests.push(`${path} ${r.method()} ${new URL(r.url()).pathname}`));
    page.on('requestfailed', (r) => failedRequests.push(`${path} ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
    await page.evaluateOnNewDocument(observer + before);
    await page.goto(`${base()}${path}`, { waitUntil: 'domcontentloaded', timeout: 30_000 });
    return page;
  }

  /** The view's message as a visitor sees it: its text, and whether it is on screen inside the view. */
  const message = (page: Page) =>
    page.evaluate(() => {
      const view = document.querySelector('lipsync-canvas')!;
      const part = view.shadowRoot!.querySelector('[part="message"]') as HTMLElement | null;
      if (!part) return { text: '', visible: false, role: null };
      const r = part.getBoundingClientRect();
      const v = view.getBoundingClientRect();
      const style = getComputedStyle(part);
      const visible = r.height > 0 && r.width > 0 && style.visibility !== 'hidden' && style.display !== 'none' && r.top >= v.top - 1 && r.bottom <= v.bottom + 1 && r.top < innerHeight;
      return { text: part.textContent!.trim(), visible, role: part.getAttribute('role') };
    });

  const errors = (page: Page) => page.evaluate(() => (window as unknown as { __cms: Seen }).__cms);

  it('runs and draws AI patches with autostart and input="file", loading the worklet and the Worker from dist/; the views fit a 1280×800 window', async () => {
    const page = await open('/cms/ok.html');
    try {
      await page.waitForFunction(() => document.querySelector('lipsync-session')?.getAttribute('data-state') === 'running', { timeout: 20_000, polling: 100 });
      // An AI frame on screen (the session measures it when a view draws one).
      await page.waitForFunction(() => (document.querySelector('lipsync-session') as unknown as { metrics: { firstFrameMs: number | null } }).metrics.firstFrameMs !== null, { timeout: 20_000, polling: 100 });
      const m = await page.evaluate(() => (document.querySelector('lipsync-session') as unknown as { metrics: { framesGenerated: number; firstFrameMs: number } }).metrics);
      assert.ok(m.framesGenerated > 0, 'AI frames arrived');
      const seen = await errors(page);
      if (process.env['CMS_DEBUG']) console.log(JSON.stringify({ requests, seen, failedRequests }));
      assert.deepEqual(seen.errors, [], 'no lipsync-error');
      // The Workers' files next to the bundle were used: the frames Worker (extraction) and the
      // network Worker (which draws the views). Only an inline (blob:) Worker or worklet may have
      // been refused by the CSP (this Chromium lets a blob: worklet module through script-src
      // 'self'; the next test refuses it the way the issue saw it refused).
      assert.ok(requests.includes('/cms/ok.html GET /dist/lipsync-frames-worker.js'), 'frames Worker file loaded');
      assert.ok(requests.includes('/cms/ok.html GET /dist/lipsync-net-worker.js'), 'network Worker file loaded');
      assert.ok(seen.violations.every((v) => v.startsWith('blob')), `nothing else was refused: ${seen.violations.join(', ')}`);
      // No page CSS: the views fit the window, the video's aspect kept.
      const boxes = await page.evaluate(() => {
        const r = (s: string) => document.querySelector(s)!.getBoundingClientRect().toJSON() as DOMRect;
        return { canvas: r('lipsync-canvas'), buffer: r('lipsync-buffer-view'), doc: document.documentElement.scrollHeight };
      });
      console.log(`views in a 1280×800 window: canvas ${boxes.canvas.width.toFixed(0)}×${boxes.canvas.height.toFixed(0)}, buffer view bottom ${boxes.buffer.bottom.toFixed(0)}, page ${boxes.doc} px tall; first AI frame ${m.firstFrameMs.toFixed(0)} ms after start`);
      assert.ok(boxes.canvas.height <= 800 && boxes.buffer.bottom <= 800, `views fit: canvas bottom ${boxes.canvas.bottom}, buffer view bottom ${boxes.buffer.bottom}`);
      assert.ok(Math.abs(boxes.canvas.width / boxes.canvas.height - 720 / 1280) < 0.01, 'aspect kept');
      const msg = await message(page);
      assert.equal(msg.text, '', 'no message when all is well');
      assert.equal(msg.role, 'status');
      assert.deepEqual(failedRequests.filter((r) => r.startsWith('/cms/ok.html')), [], 'no failed or aborted request');
    } finally {
      await page.browserContext().close();
    }
  });

  it('loads the capture worklet from the file next to the bundle where blob: modules are refused', async () => {
    // Refuses blob: worklet modules as a browser enforcing script-src 'self' on worklets does
    // (the error text is Chromium's); every other URL loads as usual.
    const refuseBlob = `(() => {
      const add = AudioWorklet.prototype.addModule;
      AudioWorklet.prototype.addModule = function (url, ...rest) {
        window.__cms.addModule = (window.__cms.addModule || []).concat(String(url));
        if (String(url).startsWith('blob:')) return Promise.reject(new DOMException('Failed to load worklet module script: ' + url, 'AbortError'));
        return add.call(this, url, ...rest);
      };
    })();`;
    const page = await open('/cms/ok.html?blob-refused', refuseBlob);
    try {
      await page.waitForFunction(() => (document.querySelector('lipsync-session') as unknown as { metrics: { framesGenerated: number } }).metrics.framesGenerated > 0, { timeout: 20_000, polling: 100 });
      const tried = await page.evaluate(() => (window as unknown as { __cms: { addModule?: string[] } }).__cms.addModule ?? []);
      assert.equal(tried.length, 2, `inline, then the file: ${tried.join(', ')}`);
      assert.match(tried[0]!, /^blob:/);
      assert.equal(new URL(tried[1]!).pathname, '/dist/lipsync-capture-worklet.js');
      // (Worklet module fetches do not show in DevTools' request events; the session running with
      // blob: refused is what shows the file loaded.)
      assert.deepEqual((await errors(page)).errors, [], 'no lipsync-error');
    } finally {
      await page.browserContext().close();
    }
  });

  for (const [path, code, words] of [
    ['/cms/unreachable.html', 'server-unreachable', /Cannot reach the avatar server/],
    ['/cms/csp-blocks-server.html', 'server-unreachable', /Cannot reach the avatar server/],
    ['/cms/no-model.html', 'invalid-attribute', /No avatar model/],
    ['/cms/no-audio.html', 'audio-load-failed', /audio file could not be loaded/],
  ] as const) {
    it(`${path}: the view says what is wrong, and lipsync-error says ${code}`, async () => {
      const page = await open(path);
      try {
        if (process.env['CMS_DEBUG']) {
          page.on('console', (m) => console.log(path, 'console', m.text()));
          setTimeout(() => void page.evaluate(() => [document.querySelector('lipsync-session')?.getAttribute('data-state'), JSON.stringify((window as unknown as { __cms: Seen }).__cms)]).then((e) => console.log(path, JSON.stringify(e))).catch(() => {}), 8000);
        }
        await page.waitForFunction((c: string) => (window as unknown as { __cms: Seen }).__cms.errors.some((e) => e.code === c), { timeout: 20_000, polling: 100 }, code);
        await page.waitForFunction(() => (document.querySelector('lipsync-canvas')?.shadowRoot?.querySelector('[part="message"]')?.textContent ?? '').trim() !== '', { timeout: 10_000, polling: 100 });
        const msg = await message(page);
        console.log(`${path}: "${msg.text}"`);
        assert.match(msg.text, words);
        assert.ok(msg.visible, 'the message is on screen, on the view');
        assert.equal(msg.role, 'status');
      } finally {
        await page.browserContext().close();
      }
    });
  }
});
