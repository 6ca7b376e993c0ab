import { expect, fixture, html } from '@open-wc/testing';
import '../../src/define.js';
import type { LipsyncSessionElement } from '../../src/index.js';
import { clearVideoCache, loadVideoFrames } from '../../src/platform/video-frames.js';
import { readPoster, writePoster } from '../../src/platform/poster.js';

const VIDEO = '/test/fixtures/numbered.mp4';
const absolute = new URL(VIDEO, location.href).href;
const slot = (model: string) => `lipsync-elements:${model}:poster`;
const newModel = () => `poster-${Math.random().toString(36).slice(2)}`;

/** A JPEG of one flat colour, at the numbered video's size. */
async function flatJpeg(colour: string, width = 320, height = 240): Promise<ArrayBuffer> {
  const canvas = new OffscreenCanvas(width, height);
  const g = canvas.getContext('2d')!;
  g.fillStyle = colour;
  g.fillRect(0, 0, width, height);
  return (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer();
}

/** The pixel at (x, y) of an image or canvas, as [r, g, b]. */
function pixel(source: CanvasImageSource, x: number, y: number, width: number, height: number): number[] {
  const g = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true })!;
  g.drawImage(source, 0, 0, width, height);
  return [...g.getImageData(x, y, 1, 1).data.slice(0, 3)];
}

/** The number frames of numbered.mp4 show (eight squares along y = 40, white = 1), -1 when it is not one. */
async function frameNumber(jpeg: ArrayBuffer): Promise<number> {
  const bitmap = await createImageBitmap(new Blob([jpeg], { type: 'image/jpeg' }));
  let n = 0;
  for (let bit = 0; bit < 8; bit++) {
    const [r] = pixel(bitmap, 25 + bit * 38, 40, bitmap.width, bitmap.height);
    if (r! > 200) n |= 1 << bit;
    else if (r! > 55) return -1;
  }
  return n;
}

/** Waits (polling, bounded) until `read()` gives something. */
async function until<T>(read: () => T | undefined, ms = 5000): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = read();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Keeps a write transaction on the model cache's meta record for `ms`; `done` resolves (with the reads made) when it ends. */
async function holdCache(model: string, ms: number): Promise<{ done: Promise<number> }> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open(`lipsync-elements:${model}`);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const tx = db.transaction('meta', 'readwrite');
  const end = performance.now() + ms;
  let reads = 0;
  const spin = () => {
    reads++;
    if (performance.now() < end) tx.objectStore('meta').get('meta').onsuccess = spin;
  };
  spin();
  const done = new Promise<number>((resolve, reject) => {
    tx.oncomplete = () => (db.close(), resolve(reads));
    tx.onerror = tx.onabort = () => (db.close(), reject(tx.error));
  });
  return { done };
}

const load = (model: string, posterKey?: string) =>
  loadVideoFrames({ url: VIDEO, model, maxFrames: 250, cache: 'indexeddb', signal: new AbortController().signal, onProgress: () => {}, onCacheUnavailable: () => {}, ...(posterKey ? { posterKey } : {}) });

describe('the poster: frame 0 as last cached, read synchronously', function () {
  this.timeout(60_000);

  it('is kept when the video is extracted, is this video only, and goes with clearVideoCache', async () => {
    const model = newModel();
    expect(readPoster(model, VIDEO)).to.equal(undefined);
    const video = await load(model);
    const poster = await until(() => readPoster(model, VIDEO));
    expect(poster.key.startsWith(`${absolute}|`)).to.equal(true);
    expect([poster.width, poster.height]).to.deep.equal([video.width, video.height]);
    expect(await frameNumber(poster.bytes)).to.equal(0);
    // Another URL for the same model: not its poster.
    expect(readPoster(model, '/test/fixtures/demo-numbered.mp4')).to.equal(undefined);
    await clearVideoCache(model);
    expect(readPoster(model, VIDEO)).to.equal(undefined);
  });

  it('of another version is replaced by the video as it is now; of this version it is left as it is', async () => {
    const model = newModel();
    await writePoster(model, `${absolute}|"old version"|250`, 320, 240, await flatJpeg('#f00'));
    expect(readPoster(model, VIDEO)?.key).to.equal(`${absolute}|"old version"|250`);
    await load(model, `${absolute}|"old version"|250`);
    const now = await until(() => {
      const p = readPoster(model, VIDEO);
      return p && p.key !== `${absolute}|"old version"|250` ? p : undefined;
    });
    expect(await frameNumber(now.bytes)).to.equal(0);
    // A second load of the same version (read from the cache) does not write it again.
    await writePoster(model, now.key, 320, 240, await flatJpeg('#00f'));
    await load(model, now.key);
    await new Promise((r) => setTimeout(r, 300));
    const kept = readPoster(model, VIDEO)!;
    expect(pixel(await createImageBitmap(new Blob([kept.bytes])), 10, 10, 320, 240)[2]).to.be.greaterThan(200);
    await clearVideoCache(model);
  });

  it('gives none for a bad record, and never throws when storage refuses', async () => {
    const model = newModel();
    for (const bad of ['not json', 'null', '{}', JSON.stringify({ key: `${absolute}|x|250`, width: 0, height: 240, jpeg: 'AAAA' }), JSON.stringify({ key: `${absolute}|x|250`, width: 320, height: 240, jpeg: '%%%' })]) {
      localStorage.setItem(slot(model), bad);
      expect(readPoster(model, VIDEO), bad).to.equal(undefined);
    }
    localStorage.removeItem(slot(model));
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = () => {
      throw new DOMException('quota', 'QuotaExceededError');
    };
    try {
      await writePoster(model, `${absolute}|x|250`, 320, 240, await flatJpeg('#0f0'));
    } finally {
      Storage.prototype.setItem = setItem;
    }
    expect(readPoster(model, VIDEO)).to.equal(undefined);
  });

  it('is what a view shows first on a second visit, until the video as it is now replaces it', async () => {
    const model = newModel();
    // A cache of the video, then a poster of another version (a flat red picture).
    await load(model);
    await until(() => readPoster(model, VIDEO));
    await writePoster(model, `${absolute}|"old version"|250`, 320, 240, await flatJpeg('#f00'));
    // The cache is held busy for 400 ms (a write transaction on its meta record), so the view can
    // only show the cached frames after that: what it shows before comes from the poster.
    const busy = await holdCache(model, 400);
    const seen: string[] = [];
    const el = await fixture<LipsyncSessionElement>(html`<lipsync-session server="ws://127.0.0.1:9" model=${model} video-src=${VIDEO}>
      <lipsync-canvas style="width:160px"></lipsync-canvas>
    </lipsync-session>`);
    const canvas = () => el.querySelector('lipsync-canvas')!.shadowRoot!.querySelector('canvas')!;
    // What the canvas shows at each animation frame: red (the poster), the video's frame 0, or nothing yet.
    await until(() => {
      const c = canvas();
      const [r, g, b] = pixel(c, 2, 2, c.width, c.height);
      const what = r! > 200 && g! < 60 && b! < 60 ? 'poster' : r! + g! + b! > 0 ? 'video' : 'blank';
      if (seen.at(-1) !== what) seen.push(what);
      return what === 'video' ? true : undefined;
    }, 10_000);
    expect(seen.filter((s) => s !== 'blank')).to.deep.equal(['poster', 'video']);
    expect(await busy.done).to.be.greaterThan(0);
    // The poster is now this version's frame 0.
    const now = await until(() => {
      const p = readPoster(model, VIDEO);
      return p && !p.key.includes('old version') ? p : undefined;
    });
    expect(await frameNumber(now.bytes)).to.equal(0);
    el.remove();
    await clearVideoCache(model);
  });
});
