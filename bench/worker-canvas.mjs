// `node bench/worker-canvas.mjs` — for the choice of issue 14 (views drawn from a Worker): does a
// canvas drawn from a Worker (`transferControlToOffscreen`) keep reaching the screen while the
// page's main thread is blocked 300 ms every second? Counts compositor frames (CDP screencast) in
// and out of the blocks, for a canvas drawn on the main thread and one drawn in a Worker, each
// changing colour at every animation frame; then whether the page can still read such a canvas
// (`drawImage`, as the tests and the bench read the views).
import puppeteer from 'puppeteer-core';
import { createServer } from 'node:http';
import { chromiumFlags, chromiumPath } from '../scripts/chromium-flags.mjs';

// Two runs of each, alternating; 8 s a page (7 blocks).

const page = (mode) => `<!doctype html><html><body style="margin:0"><canvas id=c width=180 height=320></canvas><script>
const B = (window.__blocks = []);
const c = document.getElementById('c');
if ('${mode}' === 'worker') {
  const off = c.transferControlToOffscreen();
  const src = 'let g; let n = 0; onmessage = (e) => { g = e.data.getContext("2d"); const step = () => { n++; g.fillStyle = "hsl(" + (n * 37 % 360) + " 80% 50%)"; g.fillRect(0, 0, 180, 320); requestAnimationFrame(step); }; requestAnimationFrame(step); };';
  const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  w.postMessage(off, [off]);
} else {
  const g = c.getContext('2d'); let n = 0;
  const step = () => { n++; g.fillStyle = 'hsl(' + (n * 37 % 360) + ' 80% 50%)'; g.fillRect(0, 0, 180, 320); requestAnimationFrame(step); };
  requestAnimationFrame(step);
}
// Jank: 300 ms of main thread blocked every second, from 1 s on.
setTimeout(() => setInterval(() => { const t0 = performance.now(); B.push([performance.timeOrigin + t0]); while (performance.now() - t0 < 300); B.at(-1).push(performance.timeOrigin + performance.now()); }, 1000), 1000);
</script></body></html>`;
const server = createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end(page(req.url.includes('worker') ? 'worker' : 'main')); });
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await puppeteer.launch({ executablePath: chromiumPath, headless: true, args: chromiumFlags });
for (const mode of ['main', 'worker', 'main', 'worker']) {
  const p = await browser.newPage();
  await p.setViewport({ width: 200, height: 340 });
  const cdp = await p.createCDPSession();
  const frames = [];
  cdp.on('Page.screencastFrame', (f) => { frames.push(f.metadata.timestamp * 1000); cdp.send('Page.screencastFrameAck', { sessionId: f.sessionId }).catch(() => {}); });
  await p.goto(`http://127.0.0.1:${server.address().port}/${mode}`);
  await cdp.send('Page.startScreencast', { format: 'jpeg', quality: 10, everyNthFrame: 1 });
  await new Promise((r) => setTimeout(r, 8000));
  await cdp.send('Page.stopScreencast');
  const blocks = (await p.evaluate(() => window.__blocks)).filter((b) => b.length === 2);
  const inBlock = (t) => blocks.some(([a, b]) => t >= a + 20 && t <= b);
  const from = blocks[0][0], to = blocks.at(-1)[1];
  const fs = frames.filter((t) => t >= from && t <= to);
  const inside = fs.filter(inBlock).length;
  const blockedMs = blocks.reduce((s, [a, b]) => s + (b - a - 20), 0);
  console.log(`${mode.padEnd(6)} ${blocks.length} blocks; screen frames during blocks ${inside} (${(inside / blockedMs * 1000).toFixed(1)}/s), outside ${fs.length - inside} (${((fs.length - inside) / (to - from - blockedMs) * 1000).toFixed(1)}/s)`);
  await p.close();
}
const p = await browser.newPage();
await p.goto(`http://127.0.0.1:${server.address().port}/worker`);
await new Promise((r) => setTimeout(r, 500));
const read = await p.evaluate(() => {
  const g = new OffscreenCanvas(1, 1).getContext('2d');
  g.drawImage(document.getElementById('c'), 0, 0, 1, 1);
  return [...g.getImageData(0, 0, 1, 1).data];
});
console.log(`the page reads the Worker-drawn canvas: rgba ${read.join(', ')} (${read[3] === 255 ? 'drawn' : 'empty'})`);
await browser.close();
server.close();
