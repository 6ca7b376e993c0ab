import { expect } from '@open-wc/testing';
import { openDB } from 'idb';
import { FrameBank, clearVideoCache, loadVideoFrames, type LoadOptions } from '../../src/platform/video-frames.js';
import { LipsyncError } from '../../src/core/errors.js';
import { frameDecoder } from '../../src/platform/frame-decoder.js';
import { decodeFrame, type Jpeg } from '../../src/platform/frames-worker.js';

const asBlob = (jpeg: Jpeg) => (jpeg instanceof Blob ? jpeg : new Blob([jpeg], { type: 'image/jpeg' }));

/** Reads the number a frame of numbered.mp4 shows (eight squares, white = 1). */
async function frameNumber(jpeg: Jpeg): Promise<number> {
  const bitmap = await createImageBitmap(asBlob(jpeg));
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
      expect(video.via, 'WebCodecs runs in the Worker').to.equal(path === 'webcodecs' ? 'worker' : 'video');
      expect(video.frames).to.have.length(50);
      expect(video.frames.every((f) => f instanceof Blob && f.type === 'image/jpeg')).to.equal(true);
      const numbers = await Promise.all(video.frames.map(frameNumber));
      expect(numbers.join(',')).to.equal(Array.from({ length: 50 }, (_, i) => i).join(','));
      expect(o.progress.at(-1)).to.deep.equal([50, 50]);
      expect(o.progress).to.have.length(50);
    });
  }

  it('decodes the H.264 demo video both ways, the WebCodecs path faster (timed here)', async () => {
    const times: Record<string, number> = {};
    const firsts: Record<string, Jpeg> = {};
    for (const path of ['webcodecs', 'video'] as const) {
      const t = performance.now();
      const video = await loadVideoFrames(options({ url: '/demo/models/demo/video.mp4', cache: 'none', path }));
      times[path] = performance.now() - t;
      expect([video.width, video.height, video.frames.length]).to.deep.equal([720, 1280, 250]);
      firsts[path] = video.frames[100]!;
    }
    // The same picture either way (JPEG of the same frame: tiny differences only).
    const a = await createImageBitmap(asBlob(firsts['webcodecs']!));
    const b = await createImageBitmap(asBlob(firsts['video']!));
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
    expect(cached.via).to.equal('cache');
    expect(await frameNumber(cached.frames[37]!)).to.equal(37);
    // Frame 0 comes back as its bytes (no blob read before the first picture), the rest as Blobs.
    expect(cached.frames[0]).to.be.instanceOf(ArrayBuffer);
    expect(cached.frames[1]).to.be.instanceOf(Blob);
    expect(await frameNumber(cached.frames[0]!)).to.equal(0);
    // Frame 0 first (the avatar at once), then the rest in one read: no per-frame extraction.
    expect(again.progress, 'no per-frame extraction').to.deep.equal([[1, 50], [50, 50]]);
    expect(warm, `cold ${cold.toFixed(0)} ms, cached ${warm.toFixed(0)} ms`).to.be.below(cold / 3);
    console.log(`numbered.mp4 (50 frames, 320×240): extraction ${cold.toFixed(0)} ms, cached load ${warm.toFixed(0)} ms`);

    await clearVideoCache(o.model);
    const third = options({ model: o.model });
    await loadVideoFrames(third);
    expect(third.progress, 'extracted again after clearing').to.have.length(50);
  });

  it('offers each frame as soon as it is extracted, in order, long before the last one', async () => {
    const o = options({ url: '/demo/models/demo/video.mp4', cache: 'none' });
    const seen: Array<[string, number]> = [];
    const t0 = performance.now();
    let firstAt = 0;
    const video = await loadVideoFrames({
      ...o,
      onStart: (w, h, total) => seen.push([`start ${w}x${h}`, total]),
      onFrame: (i, blob) => {
        if (i === 0) firstAt = performance.now() - t0;
        expect(blob instanceof Blob && blob.type).to.equal('image/jpeg');
        seen.push(['frame', i]);
      },
    });
    const all = performance.now() - t0;
    expect(seen[0]).to.deep.equal(['start 720x1280', 250]);
    expect(seen.slice(1).map(([, i]) => i).join(',')).to.equal(Array.from({ length: 250 }, (_, i) => i).join(','));
    expect(video.frames).to.have.length(250);
    const bytes = video.frames.reduce((n, f) => n + (f instanceof Blob ? f.size : f.byteLength), 0);
    console.log(`demo video: frame 0 offered after ${firstAt.toFixed(0)} ms, all 250 after ${all.toFixed(0)} ms (${((250 / all) * 1000).toFixed(0)} frames/s); JPEG frames ${(bytes / 1e6).toFixed(1)} MB in all`);
    expect(firstAt, 'frame 0 long before the end').to.be.below(all / 4);
    expect(250 / (all / 1000), 'extraction outruns playback (25 frames/s)').to.be.above(25);
  });

  it('extracts with <video> when the Worker cannot start (a bad worker URL, as a CSP block or a missing file would)', async () => {
    const o = options({ cache: 'none', workerUrl: '/test/fixtures/no-such-worker.js' });
    const video = await loadVideoFrames(o);
    expect(video.via).to.equal('video');
    expect(video.frames).to.have.length(50);
    expect(await frameNumber(video.frames[42]!)).to.equal(42);
  });

  it('resumes an extraction interrupted by a reload: frames cached so far come from the cache, only the rest is extracted', async () => {
    const o = options();
    const abort = new AbortController();
    let extracted = 0;
    try {
      await loadVideoFrames({
        ...o,
        signal: abort.signal,
        onFrame: () => {
          if (++extracted === 20) abort.abort();
        },
      });
      expect.fail('not aborted');
    } catch (err) {
      expect((err as Error).name).to.equal('AbortError');
    }
    // What was written before the abort is in the cache.
    const db = await openDB(`lipsync-elements:${o.model}`, 1);
    const cachedCount = await db.count('frames');
    db.close();
    // Written as they came, some of them (those in flight are lost with the stopped Worker: a
    // whole suite's run once had only frame 0 written when 20 had been extracted, the Worker's
    // first transaction still open).
    expect(cachedCount, 'frames written as they came').to.be.within(1, 49);
    const again = options({ model: o.model });
    const order: number[] = [];
    const video = await loadVideoFrames({ ...again, onFrame: (i) => order.push(i) });
    expect(video.frames).to.have.length(50);
    expect(video.via).to.equal('worker');
    expect(order[0], 'frame 0 first').to.equal(0);
    expect(order.slice(0, cachedCount).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: cachedCount }, (_, i) => i));
    // One progress report per cache read, then one per extracted frame.
    expect(again.progress.length).to.equal(2 + 50 - cachedCount);
    expect(await frameNumber(video.frames[cachedCount]!)).to.equal(cachedCount);
    expect(await frameNumber(video.frames[49]!)).to.equal(49);
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
    const bank = new FrameBank(video.frames.length, video.frames, 4);
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

  it('stands in the nearest earlier frame for one not yet extracted', async () => {
    const video = await loadVideoFrames(options({ cache: 'none' }));
    const bank = new FrameBank(50);
    expect(bank.get(0), 'nothing yet').to.equal(undefined);
    bank.add(0, video.frames[0]!);
    bank.add(1, video.frames[1]!);
    bank.get(10);
    await new Promise((r) => setTimeout(r, 200));
    const standIn = bank.get(10)!;
    expect(standIn).to.be.instanceOf(ImageBitmap);
    const ctx = new OffscreenCanvas(320, 240).getContext('2d')!;
    const shows = (bm: ImageBitmap) => {
      ctx.drawImage(bm, 0, 0);
      let n = 0;
      for (let bit = 0; bit < 8; bit++) if (ctx.getImageData(25 + bit * 38, 40, 1, 1).data[0]! > 128) n |= 1 << bit;
      return n;
    };
    expect(shows(standIn), 'frame 1 stands in for frame 10').to.equal(1);
    bank.add(10, video.frames[10]!);
    bank.get(10);
    await new Promise((r) => setTimeout(r, 200));
    expect(shows(bank.get(10)!)).to.equal(10);
    expect(bank.added).to.equal(3);
    bank.close();
  });

  it('decodes the frames in a Worker for the bank: the bitmaps come over by transfer, the same pictures', async () => {
    const video = await loadVideoFrames(options({ cache: 'none' }));
    const decoder = frameDecoder();
    const bank = new FrameBank(video.frames.length, video.frames, 4, decoder);
    bank.get(7);
    const deadline = performance.now() + 5000;
    while (bank.get(7) === undefined && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // The first frame on screen is decoded on the main thread (the Worker may still be loading);
    // the rest of the window (8, 9, 10) in the Worker.
    while (decoder.via !== 'worker' && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(decoder.via, 'decoded in the Worker').to.equal('worker');
    // Frame 8, decoded in the Worker, shows 8.
    const seven = bank.get(7);
    while (bank.get(8) === seven && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const ctx = new OffscreenCanvas(320, 240).getContext('2d')!;
    ctx.drawImage(bank.get(8)!, 0, 0);
    let n = 0;
    for (let bit = 0; bit < 8; bit++) if (ctx.getImageData(25 + bit * 38, 40, 1, 1).data[0]! > 128) n |= 1 << bit;
    expect(n).to.equal(8);
    // Released with the bank (the last user gone, the Worker ended): a decode still asked of it runs on the main thread.
    bank.close();
    const after = await decoder.decode(video.frames[3]!, 0, 0);
    expect(after.width).to.be.above(0);
    after.close();
  });

  it('starts the decoding Worker at the first decode asked of it, not when a bank takes the decoder', async () => {
    const video = await loadVideoFrames(options({ cache: 'none' }));
    // The Worker from its file, so that its load shows in the page's resource timing.
    const url = `/dist/lipsync-frames-worker.js?lazy=${Math.random()}`;
    const loads = () => performance.getEntriesByType('resource').filter((e) => e.name.endsWith(url)).length;
    const decoder = frameDecoder(url);
    const bank = new FrameBank(video.frames.length, video.frames, 4, decoder);
    await new Promise((r) => setTimeout(r, 300));
    expect(loads(), 'no Worker before a decode').to.equal(0);
    (await decoder.decode(video.frames[2]!, 0, 0)).close();
    expect(decoder.via).to.equal('worker');
    expect(loads(), 'loaded at the first decode').to.equal(1);
    bank.close();
  });

  it('draws the first frame before the Worker starts: the window ahead is decoded from a task after it', async () => {
    const video = await loadVideoFrames(options({ cache: 'none' }));
    // Counts the Workers made while the bank runs.
    const Native = globalThis.Worker;
    let made = 0;
    globalThis.Worker = class extends Native {
      constructor(url: string | URL, o?: WorkerOptions) {
        super(url, o);
        made++;
      }
    };
    try {
      const bank = new FrameBank(video.frames.length, video.frames, 4, frameDecoder());
      bank.get(0);
      const deadline = performance.now() + 5000;
      while (!bank.get(0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // The call that first answers a frame (a view's animation frame) starts no Worker…
      expect(made, 'no Worker in the call that answered the first frame').to.equal(0);
      await new Promise((r) => setTimeout(r, 0));
      // …the task it queued does, for the frames ahead.
      expect(made, 'the Worker started for the window ahead').to.equal(1);
      bank.close();
    } finally {
      globalThis.Worker = Native;
    }
  });

  it('decodes frame 0 from its bytes (as the cache gives it back), at its size or smaller, in the Worker and on the main thread', async () => {
    const video = await loadVideoFrames(options({ cache: 'none' }));
    const bytes = await (video.frames[0] as Blob).arrayBuffer();
    const decoder = frameDecoder();
    for (const [w, h] of [[0, 0], [160, 120]] as const) {
      for (const decode of [decodeFrame, decoder.decode]) {
        const bitmap = await decode(bytes, w, h);
        expect([bitmap.width, bitmap.height]).to.deep.equal(w ? [w, h] : [320, 240]);
        const ctx = new OffscreenCanvas(320, 240).getContext('2d')!;
        ctx.drawImage(bitmap, 0, 0, 320, 240);
        let n = 0;
        for (let bit = 0; bit < 8; bit++) if (ctx.getImageData(25 + bit * 38, 40, 1, 1).data[0]! > 128) n |= 1 << bit;
        expect(n).to.equal(0);
        bitmap.close();
      }
    }
    expect(decoder.via).to.equal('worker');
    decoder.release();
  });

  it('decodes on the main thread where the decoding Worker cannot load (a CSP block, a missing file)', async () => {
    const video = await loadVideoFrames(options({ cache: 'none' }));
    const decoder = frameDecoder('/no/such/worker.js');
    const bitmap = await decoder.decode(video.frames[5]!, 0, 0);
    expect(bitmap.width).to.be.above(0);
    bitmap.close();
    const again = await decoder.decode(video.frames[6]!, 0, 0);
    expect(decoder.via).to.equal('main');
    again.close();
    decoder.release();
    // A user after that tries the Worker again.
    const next = frameDecoder();
    (await next.decode(video.frames[1]!, 0, 0)).close();
    expect(next.via).to.equal('worker');
    next.release();
  });
});
