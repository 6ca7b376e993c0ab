import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadImage, createCanvas } from '@napi-rs/canvas';
import { startServer, stampColours, STATUS, CLOSE, type RunningServer } from '../../demo/server/server.js';
import { CHUNK_SAMPLES, decodeResponse, encodeRequest, isFrameResponse } from '../../src/core/protocol.js';
import { readFramePatch, placePatch } from '../../src/core/frame-patch.js';
import { readWav, TestClient } from './helpers.js';

const speech = readWav('demo/audio/speech.wav');
assert.equal(speech.sampleRate, 24000);

function chunk(samples: Float32Array, index: number): Float32Array {
  return samples.slice(index * CHUNK_SAMPLES, (index + 1) * CHUNK_SAMPLES);
}

/** The loudest chunk of the speech sample. */
function loudestChunk(): number {
  let best = 0;
  let bestRms = 0;
  for (let k = 0; (k + 1) * CHUNK_SAMPLES <= speech.samples.length; k++) {
    const c = chunk(speech.samples, k);
    const rms = Math.sqrt(c.reduce((s, x) => s + x * x, 0) / c.length);
    if (rms > bestRms) [best, bestRms] = [k, rms];
  }
  return best;
}

describe('reference inference server', () => {
  let server: RunningServer;
  const logs: string[] = [];

  before(async () => {
    server = await startServer({ port: 0, summaryEverySec: 0, log: (l) => logs.push(l) });
  });
  after(async () => {
    await server.close();
  });

  it('answers each malformed request kind with its error and stays up for everyone', async () => {
    const bystander = new TestClient(server.url);
    await bystander.open();
    const good = encodeRequest({ model: 'demo', frameId: 10, samples: chunk(speech.samples, 20) });
    const cases: Array<[string, Uint8Array, number]> = [];
    const mismatch = good.subarray(0, good.length - 4);
    cases.push(['length mismatch', mismatch, STATUS.badRequest]);
    const reserved = good.slice();
    new DataView(reserved.buffer).setUint32(12, 1, true);
    cases.push(['reserved field', reserved, STATUS.badRequest]);
    const badUtf8 = good.slice();
    badUtf8[16] = 0xff;
    cases.push(['model name not UTF-8', badUtf8, STATUS.badRequest]);
    cases.push(['unknown model', encodeRequest({ model: 'nobody', frameId: 10, samples: chunk(speech.samples, 20) }), STATUS.unknownModel]);
    cases.push(['half a chunk', encodeRequest({ model: 'demo', frameId: 10, samples: new Float32Array(480) }), STATUS.badRequest]);
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(0, 0xffffff, true);
    cases.push(['model length huge', huge, STATUS.badRequest]);

    const client = new TestClient(server.url);
    await client.open();
    for (const [, bytes] of cases) client.ws.send(bytes);
    await client.until(() => client.messages.length === cases.length);
    cases.forEach(([name, , status], i) => {
      const r = decodeResponse(client.messages[i]);
      assert.equal(r.status, status, name);
      assert.equal(r.frameId, 10, name);
      assert.ok(!isFrameResponse(r) && r.message.length > 0, `${name} has a reason`);
    });
    assert.match((decodeResponse(client.messages[3]!) as { message: string }).message, /unknown model "nobody"/);

    // The same connection still works after bad requests.
    client.ws.send(good);
    await client.until(() => client.messages.length === cases.length + 1);
    assert.equal(decodeResponse(client.messages.at(-1)!).status, STATUS.ok);

    // Frames that cannot be parsed at all close that connection, with a code and a reason.
    const text = new TestClient(server.url);
    await text.open();
    text.ws.send('hello');
    await text.until(() => text.closed !== undefined);
    assert.equal(text.closed!.code, CLOSE.unsupportedData);
    assert.match(text.closed!.reason, /text/);
    const short = new TestClient(server.url);
    await short.open();
    short.ws.send(new Uint8Array(7));
    await short.until(() => short.closed !== undefined);
    assert.equal(short.closed!.code, CLOSE.protocolError);

    // Nobody else noticed.
    bystander.ws.send(good);
    await bystander.until(() => bystander.messages.length === 1);
    assert.equal(decodeResponse(bystander.messages[0]!).status, STATUS.ok);
    assert.equal(bystander.closed, undefined);
    for (const c of [client, bystander]) c.close();
  });

  it('gives several concurrent clients only their own frames', async () => {
    const clients = await Promise.all(
      [0, 1, 2, 3].map(async (n) => {
        const c = new TestClient(server.url);
        await c.open();
        return { n, c };
      }),
    );
    for (let k = 0; k < 25; k++) {
      for (const { n, c } of clients) c.ws.send(encodeRequest({ model: 'demo', frameId: n * 1000 + k, samples: chunk(speech.samples, 10 + k) }));
    }
    await Promise.all(clients.map(({ c }) => c.until(() => c.messages.length === 25)));
    for (const { n, c } of clients) {
      const ids = c.messages.map((m) => decodeResponse(m).frameId).sort((a, b) => a - b);
      assert.deepEqual(ids, Array.from({ length: 25 }, (_, k) => n * 1000 + k));
      c.close();
    }
  });

  it('answers with a ZIP per SPEC: a JPEG that decodes and a box inside the frame', async () => {
    const c = new TestClient(server.url);
    await c.open();
    for (const id of [0, 123, 249, 250, 777]) c.ws.send(encodeRequest({ model: 'demo', frameId: id, samples: chunk(speech.samples, 40) }));
    await c.until(() => c.messages.length === 5);
    for (const m of c.messages) {
      const r = decodeResponse(m);
      assert.ok(isFrameResponse(r));
      const patch = await readFramePatch(r.zip);
      assert.equal(patch.info.type, 'image/jpeg');
      const [x1, y1, x2, y2] = patch.box;
      assert.ok(x1 >= 0 && y1 >= 0 && x2 <= 720 && y2 <= 1280 && x1 < x2 && y1 < y2, `box ${patch.box}`);
      assert.deepEqual(placePatch(patch, 720, 1280).target, { x: x1, y: y1, width: x2 - x1, height: y2 - y1 });
      const img = await loadImage(Buffer.from(patch.image));
      assert.deepEqual([img.width, img.height], [patch.info.width, patch.info.height]);
    }
    // Id k animates base frame k % 250: ids 0 and 250 share the box; 123 has its own.
    const boxes = await Promise.all(c.messages.map(async (m) => (await readFramePatch((decodeResponse(m) as { zip: Uint8Array }).zip)).box.join()));
    assert.equal(boxes[0], boxes[3]);
    assert.notEqual(boxes[0], boxes[1]);
    c.close();
  });

  it('opens the mouth for loud speech and keeps it closed in silence', async () => {
    const pixels = async (samples: Float32Array) => {
      const c = new TestClient(server.url);
      await c.open();
      // A few chunks of the same audio so the tracker settles; all on base frame 0 (ids 0, 250, 500…).
      for (let k = 0; k < 4; k++) c.ws.send(encodeRequest({ model: 'demo', frameId: k * 250, samples }));
      await c.until(() => c.messages.length === 4);
      c.close();
      const patch = await readFramePatch((decodeResponse(c.messages[3]!) as { zip: Uint8Array }).zip);
      const img = await loadImage(Buffer.from(patch.image));
      const canvas = createCanvas(img.width, img.height);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      return ctx.getImageData(0, 0, img.width, img.height).data;
    };
    const silent = await pixels(new Float32Array(CHUNK_SAMPLES));
    const silentAgain = await pixels(new Float32Array(CHUNK_SAMPLES));
    const loud = await pixels(chunk(speech.samples, loudestChunk()));
    const diff = (a: Uint8ClampedArray, b: Uint8ClampedArray) => {
      let changed = 0;
      for (let i = 0; i < a.length; i += 4) if (Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!) > 60) changed++;
      return changed / (a.length / 4);
    };
    assert.equal(diff(silent, silentAgain), 0, 'silence gives the same closed mouth');
    const changed = diff(silent, loud);
    assert.ok(changed > 0.03, `loud speech changes ${(changed * 100).toFixed(1)}% of the patch`);
    // Dark pixels (the open mouth's inside) appear only with speech.
    const dark = (p: Uint8ClampedArray) => {
      let n = 0;
      for (let i = 0; i < p.length; i += 4) if (p[i]! < 110 && p[i + 1]! < 60 && p[i + 2]! < 60) n++;
      return n;
    };
    assert.ok(dark(loud) > 200, `open mouth shows ${dark(loud)} dark pixels`);
    assert.ok(dark(silent) < 50, `closed mouth shows ${dark(silent)} dark pixels`);
  });

  it('stamps patches with their frame id when asked (the bench reads it from the screen)', async () => {
    const stamped = await startServer({ port: 0, summaryEverySec: 0, log: () => {}, stampFrameIds: true });
    try {
      const c = new TestClient(stamped.url);
      await c.open();
      const ids = [0, 5, 42, 63, 64, 250, 1001];
      for (const id of ids) c.ws.send(encodeRequest({ model: 'demo', frameId: id, samples: chunk(speech.samples, 40) }));
      await c.until(() => c.messages.length === ids.length);
      c.close();
      const codes = new Set<number>();
      for (const [i, m] of c.messages.entries()) {
        const patch = await readFramePatch((decodeResponse(m) as { zip: Uint8Array }).zip);
        const img = await loadImage(Buffer.from(patch.image));
        const canvas = createCanvas(img.width, img.height);
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const at = (y: number) => [...ctx.getImageData(img.width >> 1, y, 1, 1).data.subarray(0, 3)];
        const { top, bottom } = stampColours(ids[i]!);
        for (const [got, want] of [[at(img.height >> 2), top], [at((img.height * 3) >> 2), bottom]] as const) {
          for (let ch = 0; ch < 3; ch++) assert.ok(Math.abs(got[ch]! - want[ch]!) <= 12, `frame ${ids[i]}: ${got} vs ${want}`);
        }
        codes.add(top[0] * 65536 + top[1] * 256 + top[2]);
      }
      assert.equal(codes.size, 6, 'ids differing mod 64 get different colours (only 0 and 64 share one)');
    } finally {
      await stamped.close();
    }
  });

  it('with a capacity (fps), answers in order at that rate per connection, like a GPU queue', async () => {
    const limited = await startServer({ port: 0, summaryEverySec: 0, log: () => {}, fps: 20 });
    try {
      const c = new TestClient(limited.url);
      await c.open();
      const at: number[] = [];
      c.ws.on('message', () => at.push(performance.now()));
      const sent = performance.now();
      for (let id = 0; id < 10; id++) c.ws.send(encodeRequest({ model: 'demo', frameId: id, samples: chunk(speech.samples, 40 + id) }));
      await c.until(() => c.messages.length === 10);
      c.close();
      assert.deepEqual(c.messages.map((m) => decodeResponse(m).frameId), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // 10 frames at 20/s: the last leaves ~500 ms after they all came in, ~50 ms apart.
      assert.ok(at[9]! - sent >= 480, `last answer after ${(at[9]! - sent).toFixed(0)} ms`);
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      assert.ok(gaps.every((g) => g >= 35 && g <= 80), `gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
    } finally {
      await limited.close();
    }
  });

  it('logs one line per connection', () => {
    assert.ok(logs.some((l) => /\[conn \d+\] open from 127\.0\.0\.1/.test(l)));
    assert.ok(logs.some((l) => /\[conn \d+\] closed \(\d+.*\): \d+ frames, \d+ bad requests/.test(l)));
  });
});
