// Takes demo/screenshot.png the way a person would see the demo: starts `npm start`'s servers,
// opens the page in headless Chromium, presses Start (bundled speech sample), waits while the
// avatar speaks, and captures the page.   node scripts/screenshot.mjs [seconds=4] [out]
import puppeteer from 'puppeteer-core';
import { startDemo } from './start.mjs';
import { chromiumFlags, chromiumPath, fakeMicrophone } from './chromium-flags.mjs';

const seconds = Number(process.argv[2] ?? 4);
const out = process.argv[3] ?? 'demo/screenshot.png';
const demo = await startDemo({ port: 0, wsPort: 0, log: () => {} });
const browser = await puppeteer.launch({
  executablePath: chromiumPath,
  headless: true,
  args: [...chromiumFlags, ...fakeMicrophone()],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 1080 });
  page.on('console', (m) => m.type() === 'error' && console.error('page:', m.text()));
  page.on('response', (r) => r.status() >= 400 && console.error('page: HTTP', r.status(), r.url()));
  await page.goto(`${demo.url}?server=${encodeURIComponent(demo.inferenceUrl)}`, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForFunction(() => document.getElementById('session').state === 'ready', { timeout: 60_000 });
  await page.click('#debug');
  await page.click('#start');
  await page.waitForFunction(() => document.getElementById('session').metrics.framesGenerated > 20, { timeout: 20_000 });
  // Wait for a moment of speech with the mouth open, within the time asked.
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  await page.screenshot({ path: out });
  const metrics = await page.evaluate(() => document.getElementById('session').metrics);
  console.log(`${out} written; metrics: ${JSON.stringify(metrics)}`);
} finally {
  await browser.close();
  await demo.close();
}
