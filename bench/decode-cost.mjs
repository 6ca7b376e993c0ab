// Cost of turning a cached base frame (720×1280 JPEG) into something drawable, in the page.
import puppeteer from 'puppeteer-core';
import { build } from 'esbuild';
import { startDemo } from '../scripts/start.mjs';
await build({ entryPoints: ['src/core/mp4.ts'], outfile: 'node_modules/.cache/bench/mp4.mjs', bundle: true, platform: 'neutral', format: 'esm', logLevel: 'warning' });
const demo = await startDemo({ port: 0, wsPort: 0, server: { profile: 'instant' }, runBuild: false, log: () => {}, serve: [['/node_modules/.cache/bench/', 'node_modules/.cache/bench']] });
const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'] });
try {
  const page = await browser.newPage();
  await page.goto(demo.url, { waitUntil: 'load' });
  const r = await page.evaluate(async () => {
    const v = document.createElement('video');
    v.muted = true;
    v.src = '/demo/models/demo/video.mp4';
    await new Promise((r) => (v.onloadeddata = r));
    v.currentTime = 2;
    await new Promise((r) => (v.onseeked = r));
    const c = new OffscreenCanvas(v.videoWidth, v.videoHeight);
    c.getContext('2d').drawImage(v, 0, 0);
    const blob = await c.convertToBlob({ type: 'image/jpeg', quality: 0.85 });
    const out = { size: blob.size };
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
        b.close?.();
        main += performance.now() - t1;
      }
      ts.sort((a, b) => a - b);
      out[name] = { median: ts[n >> 1].toFixed(2), mainPerCall: (main / n).toFixed(3) };
    };
    await time('createImageBitmap', () => createImageBitmap(blob));
    await time('createImageBitmap colorSpaceConversion none', () => createImageBitmap(blob, { colorSpaceConversion: 'none' }));
    await time('createImageBitmap premultiply none', () => createImageBitmap(blob, { premultiplyAlpha: 'none' }));
    await time('createImageBitmap both none', () => createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' }));
    await time('createImageBitmap again', () => createImageBitmap(blob));
    await time('createImageBitmap half', () => createImageBitmap(blob, { resizeWidth: 360, resizeHeight: 640, resizeQuality: 'low' }));
    await time('createImageBitmap quarter', () => createImageBitmap(blob, { resizeWidth: 180, resizeHeight: 320, resizeQuality: 'low' }));
    if ('ImageDecoder' in window) {
      for (const [w, h] of [[720, 1280], [360, 640], [180, 320]]) {
        await time(`ImageDecoder desired ${w}×${h} → ImageBitmap`, async () => {
          const d = new ImageDecoder({ data: blob.stream(), type: 'image/jpeg', desiredWidth: w, desiredHeight: h });
          const { image } = await d.decode();
          out[`ImageDecoder ${w} gives`] = `${image.displayWidth}×${image.displayHeight} ${image.format}`;
          const b = await createImageBitmap(image);
          image.close();
          d.close();
          return b;
        });
      }
    }
    if ('ImageDecoder' in window) await time('ImageDecoder', async () => { const d = new ImageDecoder({ data: blob.stream(), type: 'image/jpeg' }); const { image } = await d.decode(); d.close(); return image; });
    {
      const src = `onmessage = async (e) => { const b = await createImageBitmap(e.data.blob); postMessage({ i: e.data.i, b }, [b]); };`;
      const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
      const waiting = new Map();
      w.onmessage = (e) => { waiting.get(e.data.i)(e.data.b); waiting.delete(e.data.i); };
      let i = 0;
      await time('worker createImageBitmap', () => new Promise((r) => { waiting.set(++i, r); w.postMessage({ i, blob }); }));
      {
        let t = performance.now();
        const all = [];
        for (let k = 0; k < 24; k++) all.push(new Promise((r) => { waiting.set(++i, r); w.postMessage({ i, blob }); }));
        (await Promise.all(all)).forEach((b) => b.close());
        out.worker24Parallel = (performance.now() - t).toFixed(0);
        t = performance.now();
        (await Promise.all(Array.from({ length: 24 }, () => createImageBitmap(blob)))).forEach((b) => b.close());
        out.main24Parallel = (performance.now() - t).toFixed(0);
      }
      {
        {
      // The H.264 stream itself: decode-only time per frame with WebCodecs (software here), and drawing a VideoFrame.
      const { demuxMp4 } = await import('/node_modules/.cache/bench/mp4.mjs');
      const bytes = new Uint8Array(await (await fetch('/demo/models/demo/video.mp4')).arrayBuffer()); const track = demuxMp4(bytes);
      const c2 = new OffscreenCanvas(track.width, track.height).getContext('2d');
      let frames = 0;
      let drawMs = 0;
      const decoder = new VideoDecoder({ output: (f) => { frames++; if (frames % 10 === 0) { const t = performance.now(); c2.drawImage(f, 0, 0); c2.getImageData(0, 0, 1, 1); drawMs += performance.now() - t; } f.close(); }, error: (e) => console.error(e) });
      decoder.configure({ codec: track.codec, description: track.description, codedWidth: track.width, codedHeight: track.height });
      const t0 = performance.now();
      for (const s of track.samples) decoder.decode(new EncodedVideoChunk({ type: s.key ? 'key' : 'delta', timestamp: Math.round((s.pts / track.timescale) * 1e6), data: bytes.subarray(s.offset, s.offset + s.size) }));
      await decoder.flush();
      out.h264 = { frames, msPerFrame: ((performance.now() - t0) / frames).toFixed(2), drawVideoFrameMs: (drawMs / Math.floor(frames / 10)).toFixed(2), keyframes: track.samples.filter((s) => s.key).length, samples: track.samples.length };
    }
    const canvas = document.createElement('canvas'); canvas.width = 720; canvas.height = 1280; document.body.append(canvas);
        const ctx = canvas.getContext('2d');
        const firstDraw = async (get) => {
          const ts = [];
          for (let k = 0; k < 15; k++) {
            const b = await get();
            const t = performance.now();
            ctx.drawImage(b, 0, 0, 720, 1280);
            ctx.getImageData(0, 0, 1, 1);
            ts.push(performance.now() - t);
            b.close();
          }
          ts.sort((a, b) => a - b);
          return ts[7].toFixed(2) + ' median, max ' + ts[14].toFixed(2);
        };
        await firstDraw(() => createImageBitmap(blob));
        out.firstDrawWorkerBitmap = await firstDraw(() => new Promise((r) => { waiting.set(++i, r); w.postMessage({ i, blob }); }));
        out.firstDrawMainBitmap = await firstDraw(() => createImageBitmap(blob));
      }
      // close alone, main side
      const bms = [];
      for (let k = 0; k < 20; k++) bms.push(await new Promise((r) => { waiting.set(++i, r); w.postMessage({ i, blob }); }));
      let t = performance.now(); for (const b of bms) b.close(); out.closeTransferred = ((performance.now() - t) / 20).toFixed(3);
      const bms2 = []; for (let k = 0; k < 20; k++) bms2.push(await createImageBitmap(blob));
      t = performance.now(); for (const b of bms2) b.close(); out.closeLocal = ((performance.now() - t) / 20).toFixed(3);
      t = performance.now(); const ps = []; for (let k = 0; k < 20; k++) ps.push(createImageBitmap(blob)); out.callLocal = ((performance.now() - t) / 20).toFixed(3); (await Promise.all(ps)).forEach((b) => b.close());
    }
    {
      // The H.264 stream itself: decode-only time per frame with WebCodecs (software here), and drawing a VideoFrame.
      const { demuxMp4 } = await import('/node_modules/.cache/bench/mp4.mjs');
      const bytes = new Uint8Array(await (await fetch('/demo/models/demo/video.mp4')).arrayBuffer()); const track = demuxMp4(bytes);
      const c2 = new OffscreenCanvas(track.width, track.height).getContext('2d');
      let frames = 0;
      let drawMs = 0;
      const decoder = new VideoDecoder({ output: (f) => { frames++; if (frames % 10 === 0) { const t = performance.now(); c2.drawImage(f, 0, 0); c2.getImageData(0, 0, 1, 1); drawMs += performance.now() - t; } f.close(); }, error: (e) => console.error(e) });
      decoder.configure({ codec: track.codec, description: track.description, codedWidth: track.width, codedHeight: track.height });
      const t0 = performance.now();
      for (const s of track.samples) decoder.decode(new EncodedVideoChunk({ type: s.key ? 'key' : 'delta', timestamp: Math.round((s.pts / track.timescale) * 1e6), data: bytes.subarray(s.offset, s.offset + s.size) }));
      await decoder.flush();
      out.h264 = { frames, msPerFrame: ((performance.now() - t0) / frames).toFixed(2), drawVideoFrameMs: (drawMs / Math.floor(frames / 10)).toFixed(2), keyframes: track.samples.filter((s) => s.key).length, samples: track.samples.length };
    }
    const canvas = document.createElement('canvas'); canvas.width = 720; canvas.height = 1280; document.body.append(canvas);
    const ctx = canvas.getContext('2d');
    const bm = await createImageBitmap(blob);
    let t0 = performance.now(); for (let i = 0; i < 100; i++) ctx.drawImage(bm, 0, 0, 720, 1280); ctx.getImageData(0,0,1,1); out.drawImage = ((performance.now() - t0) / 100).toFixed(3);
    return out;
  });
  console.log(r);
} finally { await browser.close(); await demo.close(); }
