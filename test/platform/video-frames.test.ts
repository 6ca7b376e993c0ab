import { expect } from '@open-wc/testing';
import { openDB } from 'idb';
import { FrameBank, clearVideoCache, loadVideoFrames, type LoadOptions } from '../../src/platform/video-frames.js';
import { LipsyncError } from '../../src/core/errors.js';

/** Reads the number a frame of numbered.mp4 shows (eight squares, white = 1). */
async function frameNumber(blob: Blob): Promise<number> {
  const bitmap = await createImageBitmap(blob);
  const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  let n = 0;
  for (let bit = 0; bit < 8; bit++) if (ctx.getImageData(25 + bit * 38, 40, 1, 1).data[0]! > 128) n |= 1 << bit;
  return n;
}

function options(over: Partial<LoadOptions> = {}): LoadOptions & { progress: Array<[number, number]>; cacheProblems: string[] } {
  const progress: Array<[number, number]> = [];
  const cacheProblems: string[] = [];
  return {
    url: '/test/fixtures/numbered.mp4',
    model: `test-${Math.random().toString(36).slice(2)}`,
    maxFrames: 250,
    cache: 'indexeddb',
    signal: new AbortController().signal,
    onProgress: (l, t) => progress.push([l, t]),
    onCacheUnavailable: (m) => cacheProblems.push(m),
    progress,
    cacheProblems,
    ...over,
  };
}

describe('model video frames', function () {
  this.timeout(60_000);

  for (const path of ['webcodecs', 'video'] as const) {
    it(`extracts every frame at 25 fps, in order, as JPEG, with progress (${path} path)`, async () => {
      const o = options({ cache: 'none', path });
      const video = await loadVideoFrames(o);
      expect([video.width, video.height]).to.deep.equal([320, 240]);
      expect(video.frames).to.have.length(50);
      expect(video.frames.every((f) => f.type === 'image/jpeg')).to.equal(true);
      const numbers = await Promise.all(video.frames.map(frameNumber));
      expect(numbers.join(',')).to.equal(Array.from({ length: 50 }, (_, i) => i).join(','));
      expect(o.progress.at(-1)).to.deep.equal([50, 50]);
      expect(o.progress).to.have.length(50);
    });
  }

  it('decodes the H.264 demo video both ways, the WebCodecs path faster (timed here)', async () => {
    const times: Record<string, number> = {};
    const firsts: Record<string, Blob> = {};
    for (const path of ['webcodecs', 'video'] as const) {
      const t = performance.now();
      const video = await loadVideoFrames(options({ url: '/demo/models/demo/video.mp4', cache: 'none', path }));
      times[path] = performance.now() - t;
      expect([video.width, video.height, video.frames.length]).to.deep.equal([720, 1280, 250]);
      firsts[path] = video.frames[100]!;
    }
    // The same picture either way (JPEG of the same frame: tiny differences only).
    const a = await createImageBitmap(firsts['webcodecs']!);
    const b = await createImageBitmap(firsts['video']!);
    const px = (bm: ImageBitmap) => {
      const ctx = new OffscreenCanvas(72, 128).getContext('2d')!;
      ctx.drawImage(bm, 0, 0, 72, 128);
      return ctx.getImageData(0, 0, 72, 128).data;
    };
    const pa = px(a);
    const pb = px(b);
    let diff = 0;
    for (let i = 0; i < pa.length; i++) diff += Math.abs(pa[i]! - pb[i]!);
    expect(diff / pa.length, 'mean channel difference of frame 100').to.be.below(3);
    console.log(`demo video (250 frames, 720×1280, H.264): WebCodecs ${times['webcodecs']!.toFixed(0)} ms, <video> ${times['video']!.toFixed(0)} ms`);
    expect(times['webcodecs']).to.be.below(times['video']!);
  });

  it('stops at max-frames', async () => {
    const video = await loadVideoFrames(options({ cache: 'none', maxFrames: 10 }));
    expect(video.frames).to.have.length(10);
    expect(await frameNumber(video.frames[9]!)).to.equal(9);
  });

  it('loads a second time from IndexedDB without decoding, much faster; clearVideoCache empties it', async () => {
    const o = options();
    let t = performance.now();
    await loadVideoFrames(o);
    const cold = performance.now() - t;
    t = performance.now();
    const again = options({ model: o.model });
    const cached = await loadVideoFrames(again);
    const warm = performance.now() - t;
    expect(cached.frames).to.have.length(50);
    expect(await frameNumber(cached.frames[37]!)).to.equal(37);
    expect(again.progress, 'no per-frame extraction').to.deep.equal([[50, 50]]);
    expect(warm, `cold ${cold.toFixed(0)} ms, cached ${warm.toFixed(0)} ms`).to.be.below(cold / 3);
    console.log(`numbered.mp4 (50 frames, 320×240): extraction ${cold.toFixed(0)} ms, cached load ${warm.toFixed(0)} ms`);

    await clearVideoCache(o.model);
    const third = options({ model: o.model });
    await loadVideoFrames(third);
    expect(third.progress, 'extracted again after clearing').to.have.length(50);
  });

  it('reports cache-unavailable and still returns the frames when IndexedDB refuses', async () => {
    const o = options();
    // A database of a newer version than the element opens: opening it fails (VersionError).
    const db = await openDB(`lipsync-elements:${o.model}`, 5);
    db.close();
    const video = await loadVideoFrames(o);
    expect(video.frames).to.have.length(50);
    expect(o.cacheProblems).to.have.length(1);
    expect(o.cacheProblems[0]).to.contain('IndexedDB');
  });

  it('gives video-load-failed naming the URL for a missing or undecodable video', async () => {
    for (const url of ['/test/fixtures/missing.mp4', '/test/fixtures/speech-44k.wav']) {
      try {
        await loadVideoFrames(options({ url, cache: 'none' }));
        expect.fail(`${url} loaded`);
      } catch (err) {
        expect(err).to.be.instanceOf(LipsyncError);
        expect((err as LipsyncError).code).to.equal('video-load-failed');
        expect((err as LipsyncError).message).to.contain(url);
      }
    }
  });

  it('keeps only a short window of frames decoded, and the last frame answered while the next decodes', async () => {
    const video = await loadVideoFrames(options({ cache: 'none' }));
    const bank = new FrameBank(video, 4);
    expect(bank.get(0)).to.equal(undefined); // decoding starts now
    await new Promise((r) => setTimeout(r, 200));
    const first = bank.get(0)!;
    expect(first).to.be.instanceOf(ImageBitmap);
    // The index jumps past the window (a blocked main thread does that): until frame 20 is
    // decoded the bank answers frame 0 again — never nothing — and keeps it open.
    expect(bank.get(20)).to.equal(first);
    expect(first.width).to.be.above(0);
    await new Promise((r) => setTimeout(r, 200));
    const twenty = bank.get(20)!;
    expect(twenty).to.be.instanceOf(ImageBitmap).and.not.equal(first);
    // Frame 0 left the window and is no longer shown: its bitmap was closed (a closed bitmap reports 0×0).
    expect(first.width).to.equal(0);
    expect(twenty.width).to.be.above(0);
    expect(bank.get(70)).to.equal(twenty); // index wraps modulo the frame count
    bank.close();
  });
});
