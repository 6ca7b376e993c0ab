// What a cached base frame (720×1280 JPEG) costs to become something drawable, in the page:
// createImageBitmap on the main thread or in a Worker, ImageDecoder at a smaller size, the
// H.264 stream decoded with WebCodecs, and drawing each. `node bench/decode-cost.mjs`
import { build } from 'esbuild';
import puppeteer from 'puppeteer-core';
import { startDemo } from '../scripts/start.mjs';
import { chromiumFlags, chromiumPath } from '../scripts/chromium-flags.mjs';

await build({ entryPoints: ['src/core/mp4.ts'], outfile: 'node_modules/.cache/bench/mp4.mjs', bundle: true, platform: 'neutral', format: 'esm', logLevel: 'warning' });
const demo = await startDemo({ port: 0, wsPort: 0, server: { profile: 'instant' }, runBuild: false, log: () => {}, serve: [['/node_modules/.cache/bench/', 'node_modules/.cache/bench']] });
const browser = await puppeteer.launch({ executablePath: chromiumPath, headless: true, args: chromiumFlags });
try {
  const page = await browser.newPage();
  await page.goto(demo.url, { waitUntil: 'load' });
  const r = await page.evaluate(async () => {
    // A frame of the demo video, encoded as the cache does.
    const v = document.createElement('video');
    v.muted = true;
    v.src = '/demo/models/demo/video.mp4';
    await new Promise((r) => (v.onloadeddata = r));
    v.currentTime = 2;
    await new Promise((r) => (v.onseeked = r));
    const c = new OffscreenCanvas(v.videoWidth, v.videoHeight);
    c.getContext('2d').drawImage(v, 0, 0);
    const blob = await c.convertToBlob({ type: 'image/jpeg', quality: 0.8 });
    const out = { jpegBytes: blob.size };
    /** Median time to a bitmap, and main-thread time per call (the call itself and close()). */
    const time = async (name, fn, n = 40) => {
      const ts = [];
      let main = 0;
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const p = fn();
        main += performance.now() - t0;
        const b = await p;
        ts.push(performance.now() - t0);
        const t1 = performance.now();
        b.close();
        main += performance.now() - t1;
      }
      ts.sort((a, b) => a - b);
      out[name] = { medianMs: ts[n >> 1].toFixed(2), mainMsPerCall: (main / n).toFixed(3) };
    };
    await time('createImageBitmap, main thread', () => createImageBitmap(blob));
    await time('createImageBitmap resized to 360×640', () => createImageBitmap(blob, { resizeWidth: 360, resizeHeight: 640, resizeQuality: 'low' }));
    if ('ImageDecoder' in window) {
      for (const [w, h] of [[720, 1280], [360, 640], [180, 320]]) {
        await time(`ImageDecoder at ${w}×${h} → ImageBitmap`, async () => {
          const d = new ImageDecoder({ data: blob.stream(), type: 'image/jpeg', desiredWidth: w, desiredHeight: h });
          const { image } = await d.decode();
          const b = await createImageBitmap(image);
          image.close();
          d.close();
          return b;
        });
      }
    }
    // In a Worker, the bitmap transferred back.
    const src = `onmessage = async (e) => { const b = await createImageBitmap(e.data.blob); postMessage({ i: e.data.i, b }, [b]); };`;
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
    const waiting = new Map();
    w.onmessage = (e) => {
      waiting.get(e.data.i)(e.data.b);
      waiting.delete(e.data.i);
    };
    let i = 0;
    const inWorker = () => new Promise((r) => { waiting.set(++i, r); w.postMessage({ i, blob }); });
    await time('createImageBitmap in a Worker', inWorker);
    let t = performance.now();
    (await Promise.all(Array.from({ length: 24 }, inWorker))).forEach((b) => b.close());
    out['24 at once, Worker (ms)'] = (performance.now() - t).toFixed(0);
    t = performance.now();
    (await Promise.all(Array.from({ length: 24 }, () => createImageBitmap(blob)))).forEach((b) => b.close());
    out['24 at once, main thread (ms)'] = (performance.now() - t).toFixed(0);
    w.terminate();
    // Drawing a base frame onto a 720×1280 canvas.
    const canvas = document.createElement('canvas');
    canvas.width = 720;
    canvas.height = 1280;
    document.body.append(canvas);
    const ctx = canvas.getContext('2d');
    const bm = await createImageBitmap(blob);
    t = performance.now();
    for (let k = 0; k < 100; k++) ctx.drawImage(bm, 0, 0, 720, 1280);
    ctx.getImageData(0, 0, 1, 1);
    out['drawImage 720×1280 (ms)'] = ((performance.now() - t) / 100).toFixed(3);
    // The H.264 stream itself: decode-only time per frame with WebCodecs (software here), and drawing a VideoFrame.
    const { demuxMp4 } = await import('/node_modules/.cache/bench/mp4.mjs');
    const bytes = new Uint8Array(await (await fetch('/demo/models/demo/video.mp4')).arrayBuffer());
    const track = demuxMp4(bytes);
    let frames = 0;
    let drawMs = 0;
    const decoder = new VideoDecoder({
      output: (f) => {
        if (++frames % 10 === 0) {
          const t1 = performance.now();
          ctx.drawImage(f, 0, 0);
          ctx.getImageData(0, 0, 1, 1);
          drawMs += performance.now() - t1;
        }
        f.close();
      },
      error: (e) => console.error(e),
    });
    decoder.configure({ codec: track.codec, description: track.description, codedWidth: track.width, codedHeight: track.height });
    t = performance.now();
    for (const s of track.samples) decoder.decode(new EncodedVideoChunk({ type: s.key ? 'key' : 'delta', timestamp: Math.round((s.pts / track.timescale) * 1e6), data: bytes.subarray(s.offset, s.offset + s.size) }));
    await decoder.flush();
    out.h264 = { frames, msPerFrame: ((performance.now() - t) / frames).toFixed(2), drawVideoFrameMs: (drawMs / Math.floor(frames / 10)).toFixed(2) };
    return out;
  });
  console.log(r);
} finally {
  await browser.close();
  await demo.close();
}
