// Reading a response ZIP inside a Worker, as the network Worker does: the project's reader
// (src/core/zip.ts: the platform's DecompressionStream for deflated entries) against fflate's
// unzipSync, on a typical patch (a 200×136 JPEG and its box), stored and deflated.
import { unzipSync, zipSync } from '/node_modules/fflate/esm/browser.js';
import { readZip } from '/node_modules/.cache/bench/zip.mjs';

onmessage = async ({ data: n }) => {
  const canvas = new OffscreenCanvas(200, 136);
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(200, 136);
  // Skin-like noise: a JPEG of realistic size (~10 KB at quality 0.9).
  for (let i = 0; i < image.data.length; i += 4) {
    const v = Math.random() * 40;
    image.data.set([190 + v, 140 + v, 120 + v, 255], i);
  }
  ctx.putImageData(image, 0, 0);
  const jpeg = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer());
  const box = new Uint8Array(16);
  const out = { jpegBytes: jpeg.length };
  for (const [name, level] of [['stored', 0], ['deflated', 6]]) {
    const zip = zipSync({ 'patch.jpg': [jpeg, { level }], 'bbox.bin': [box, { level }] });
    const time = async (fn) => {
      for (let i = 0; i < 50; i++) await fn();
      const t = performance.now();
      for (let i = 0; i < n; i++) await fn();
      return ((performance.now() - t) / n) * 1000;
    };
    out[name] = { zipBytes: zip.length, readZipUs: await time(() => readZip(zip)), fflateUs: await time(() => unzipSync(zip)) };
  }
  postMessage(out);
};
