import { expect } from '@open-wc/testing';
import { loadVideoFrames } from '../../src/platform/video-frames.js';
import { decodeFrame } from '../../src/platform/frames-worker.js';
import { placePatch, readFramePatch } from '../../src/core/frame-patch.js';
import { CHUNK_SAMPLES, decodeResponse, encodeRequest, isFrameResponse } from '../../src/core/protocol.js';
import { decodedAt24k, startServer, stopServer } from './helpers.js';

/** One answer of the reference server for `frameId`, after `chunks` (ids 0…). */
async function patchFrom(url: string, chunks: Float32Array[], frameId: number) {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const answer = new Promise<ArrayBuffer>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no answer in 5 s')), 5000);
    ws.onmessage = (e) => {
      if (decodeResponse(e.data).frameId !== frameId) return;
      clearTimeout(t);
      resolve(e.data as ArrayBuffer);
    };
  });
  chunks.forEach((samples, id) => ws.send(encodeRequest({ model: 'demo', frameId: id, samples })));
  const r = decodeResponse(await answer);
  ws.close();
  if (!isFrameResponse(r)) throw new Error(`status ${r.status}`);
  return readFramePatch(r.zip);
}

/** Grey level (mean of R, G, B) of every pixel of a 720×1280 canvas. */
function grey(ctx: OffscreenCanvasRenderingContext2D): Float32Array {
  const d = ctx.getImageData(0, 0, 720, 1280).data;
  const g = new Float32Array(720 * 1280);
  for (let i = 0; i < g.length; i++) g[i] = (d[i * 4]! + d[i * 4 + 1]! + d[i * 4 + 2]!) / 3;
  return g;
}

describe('reference server patches on the base video, as the browser shows them', function () {
  this.timeout(60_000);

  it('blend into the base frame (no seam at the box) and open the mouth plainly on speech', async () => {
    const server = await startServer();
    try {
      const video = await loadVideoFrames({ url: '/demo/models/demo/video.mp4', model: 'seam-test', maxFrames: 250, cache: 'none', onProgress: () => {}, onCacheUnavailable: () => {}, signal: new AbortController().signal });
      const speech = await decodedAt24k('/demo/audio/speech.wav');
      // The loudest chunk of the bundled speech, and the 12 before it.
      let loud = 20;
      let best = 0;
      for (let k = 20; (k + 1) * CHUNK_SAMPLES < speech.length; k++) {
        let s = 0;
        for (let i = k * CHUNK_SAMPLES; i < (k + 1) * CHUNK_SAMPLES; i++) s += speech[i]! * speech[i]!;
        if (s > best) [best, loud] = [s, k];
      }
      const steps: number[] = [];
      const naturals: number[] = [];
      const openings: number[] = [];
      for (const frame of [0, 60, 130, 200]) {
        const silence = Array.from({ length: frame + 1 }, () => new Float32Array(CHUNK_SAMPLES));
        const talk = Array.from({ length: frame + 1 }, (_, id) => speech.slice((loud - frame + id) * CHUNK_SAMPLES, (loud - frame + id + 1) * CHUNK_SAMPLES));
        const base = new OffscreenCanvas(720, 1280).getContext('2d', { willReadFrequently: true })!;
        base.drawImage(await decodeFrame(video.frames[frame]!, 0, 0), 0, 0);
        const plain = grey(base);
        const composite = async (chunks: Float32Array[]) => {
          const patch = await patchFrom(server.url, chunks, frame);
          const { source, target } = placePatch(patch, 720, 1280);
          const ctx = new OffscreenCanvas(720, 1280).getContext('2d', { willReadFrequently: true })!;
          ctx.drawImage(base.canvas, 0, 0);
          ctx.drawImage(await createImageBitmap(new Blob([patch.image as BlobPart], { type: patch.info.type })), source.x, source.y, source.width, source.height, target.x, target.y, target.width, target.height);
          return { g: grey(ctx), target };
        };
        const closed = await composite(silence);
        const open = await composite(talk);
        const { x, y, width, height } = closed.target;
        // Step across the border: |inside − outside| for each pixel pair across the box's edge.
        let step = 0;
        let natural = 0;
        let n = 0;
        const pair = (ix: number, iy: number, ox: number, oy: number) => {
          step += Math.abs(closed.g[iy * 720 + ix]! - closed.g[oy * 720 + ox]!);
          natural += Math.abs(plain[iy * 720 + ix]! - plain[oy * 720 + ox]!);
          n++;
        };
        for (let i = x; i < x + width; i++) {
          pair(i, y, i, y - 1);
          pair(i, y + height - 1, i, y + height);
        }
        for (let j = y; j < y + height; j++) {
          pair(x, j, x - 1, j);
          pair(x + width - 1, j, x + width, j);
        }
        steps.push(step / n);
        naturals.push(natural / n);
        let diff = 0;
        for (let j = y; j < y + height; j++) for (let i = x; i < x + width; i++) diff += Math.abs(open.g[j * 720 + i]! - closed.g[j * 720 + i]!);
        openings.push(diff / (width * height));
      }
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      console.log(`seam: mean step across the patch border ${mean(steps).toFixed(2)} grey levels (the base frame alone: ${mean(naturals).toFixed(2)}); speech vs silence: mean |Δ| ${mean(openings).toFixed(1)} levels over the patch`);
      expect(mean(steps) - mean(naturals), 'seam above the base frame’s own step').to.be.below(1);
      expect(mean(openings), 'speech vs silence over the patch').to.be.above(8);
    } finally {
      await stopServer(server.port);
    }
  });
});
