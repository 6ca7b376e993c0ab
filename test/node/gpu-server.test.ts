import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PROFILES, startServer, STATUS, type RunningServer } from '../../demo/server/server.js';
import { CHUNK_SAMPLES, decodeResponse, encodeRequest, isFrameResponse, type InferenceResponse } from '../../src/core/protocol.js';
import { readFramePatch } from '../../src/core/frame-patch.js';
import { readWav, TestClient } from './helpers.js';

const speech = readWav('demo/audio/speech.wav').samples;
const chunk = (k: number) => speech.slice(k * CHUNK_SAMPLES, (k + 1) * CHUNK_SAMPLES);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const pct = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

/** Sends chunks `first…first+count-1` of the speech as ids 0…, one every 40 ms; records when each left and when each answer came. */
async function stream(clients: TestClient[], count: number, first = 200) {
  const sentAt = clients.map(() => new Map<number, number>());
  const answeredAt = clients.map(() => new Map<number, number>());
  const answers = clients.map(() => new Map<number, InferenceResponse>());
  clients.forEach((c, i) =>
    c.ws.on('message', (m: Buffer) => {
      const r = decodeResponse(m);
      answeredAt[i]!.set(r.frameId, performance.now());
      answers[i]!.set(r.frameId, r);
    }),
  );
  const start = performance.now();
  for (let k = 0; k < count; k++) {
    await sleep(start + k * 40 - performance.now());
    clients.forEach((c, i) => {
      sentAt[i]!.set(k, performance.now());
      c.ws.send(encodeRequest({ model: 'demo', frameId: k, samples: chunk(first + k) }));
    });
  }
  await Promise.all(clients.map((c) => c.until(() => c.messages.length >= count, 15_000)));
  return { sentAt, answeredAt, answers };
}

async function clients(server: RunningServer, n: number): Promise<TestClient[]> {
  return Promise.all(Array.from({ length: n }, async () => {
    const c = new TestClient(server.url);
    await c.open();
    return c;
  }));
}

describe('reference server, gpu profile (look-ahead + a shared inference queue)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ port: 0, summaryEverySec: 0, log: () => {}, profile: 'gpu' });
  });
  after(async () => {
    await server.close();
  });

  it('answers one client 280–700 ms after each request, never before its look-ahead chunks, and the last chunk after the flush', { timeout: 30_000 }, async () => {
    const [c] = await clients(server, 1);
    const count = 75;
    const { sentAt, answeredAt, answers } = await stream([c!], count);
    c!.close();
    const { lookahead: L, inferMs, inferJitterMs, flushMs } = PROFILES.gpu;
    // After the last chunk: the flush wait, then at most the batch running then and its own.
    const afterLast = flushMs + 2 * (inferMs + inferJitterMs) + 60;
    const latency: number[] = [];
    for (let k = 0; k < count; k++) {
      assert.ok(isFrameResponse(answers[0]!.get(k)!), `frame ${k} answered OK`);
      const ms = answeredAt[0]!.get(k)! - sentAt[0]!.get(k)!;
      if (k + L < count) {
        latency.push(ms);
        assert.ok(ms >= 280 && ms <= 700, `frame ${k} answered after ${ms.toFixed(0)} ms`);
        assert.ok(answeredAt[0]!.get(k)! >= sentAt[0]!.get(k + L)!, `frame ${k} answered before chunk ${k + L} was sent`);
      } else {
        // The last L frames never get their look-ahead: they are answered after the flush (two CI
        // runs saw frame 68 of 75 at 707 and 719 ms against the 700 of the frames before).
        const fromLast = answeredAt[0]!.get(k)! - sentAt[0]!.get(count - 1)!;
        assert.ok(fromLast >= flushMs && fromLast <= afterLast, `frame ${k} answered ${fromLast.toFixed(0)} ms after the last chunk`);
      }
    }
    // The last chunk has no look-ahead: it waits for 120 ms without a newer chunk, then inference.
    const last = answeredAt[0]!.get(count - 1)! - sentAt[0]!.get(count - 1)!;
    assert.ok(last >= flushMs + inferMs && last <= afterLast, `last frame after ${last.toFixed(0)} ms`);
    console.log(`# gpu profile, 1 client: p50 ${pct(latency, 50).toFixed(0)} ms, p95 ${pct(latency, 95).toFixed(0)} ms, max ${Math.max(...latency).toFixed(0)} ms; last chunk ${last.toFixed(0)} ms`);
  });

  it('answers every frame of 4 clients at 25 frames/s each with p95 under 1.2 s', { timeout: 40_000 }, async () => {
    const cs = await clients(server, 4);
    const count = 125;
    const { sentAt, answeredAt, answers } = await stream(cs, count);
    cs.forEach((c) => c.close());
    const latency: number[] = [];
    cs.forEach((_, i) => {
      for (let k = 0; k < count; k++) {
        assert.equal(answers[i]!.get(k)?.status, STATUS.ok, `client ${i} frame ${k}`);
        latency.push(answeredAt[i]!.get(k)! - sentAt[i]!.get(k)!);
      }
    });
    assert.ok(pct(latency, 95) < 1200, `p95 ${pct(latency, 95).toFixed(0)} ms`);
    console.log(`# gpu profile, 4 clients: p50 ${pct(latency, 50).toFixed(0)} ms, p95 ${pct(latency, 95).toFixed(0)} ms`);
  });

  it('draws frame k from the audio around it: same audio up to chunk 19 → same frames well before 19, different ones for 16…19', { timeout: 20_000 }, async () => {
    const [a, b] = await clients(server, 2);
    // Both send speech chunks 300…319 as ids 0…19; then a sends more speech and b silence.
    for (let k = 0; k < 30; k++) {
      a!.ws.send(encodeRequest({ model: 'demo', frameId: k, samples: chunk(300 + k) }));
      b!.ws.send(encodeRequest({ model: 'demo', frameId: k, samples: k < 20 ? chunk(300 + k) : new Float32Array(CHUNK_SAMPLES) }));
    }
    await Promise.all([a!, b!].map((c) => c.until(() => c.messages.length >= 30)));
    const images = async (c: TestClient) => {
      const byId = new Map<number, string>();
      for (const m of c.messages) {
        const r = decodeResponse(m);
        assert.ok(isFrameResponse(r));
        byId.set(r.frameId, Buffer.from((await readFramePatch(r.zip)).image).toString('base64'));
      }
      return byId;
    };
    const [ia, ib] = [await images(a!), await images(b!)];
    a!.close();
    b!.close();
    for (let k = 0; k + PROFILES.gpu.lookahead <= 19; k++) assert.equal(ia.get(k), ib.get(k), `frame ${k} depends only on chunks ≤ ${k + PROFILES.gpu.lookahead}`);
    for (let k = 16; k <= 19; k++) assert.notEqual(ia.get(k), ib.get(k), `frame ${k} looks ahead to chunk 20+`);
  });
});

describe('reference server refuses audio that is not numbers', () => {
  it('answers NaN and ±Infinity samples with status 1 and the reason', async () => {
    const server = await startServer({ port: 0, summaryEverySec: 0, log: () => {} });
    try {
      const c = new TestClient(server.url);
      await c.open();
      // Written into the bytes: a client encoder clips samples, so it could not send these.
      [NaN, Infinity, -Infinity].forEach((v, i) => {
        const bytes = encodeRequest({ model: 'demo', frameId: i, samples: chunk(100) });
        new DataView(bytes.buffer, bytes.byteOffset).setFloat32(16 + 'demo'.length + 4 * 17 * (i + 1), v, true);
        c.ws.send(bytes);
      });
      c.ws.send(encodeRequest({ model: 'demo', frameId: 3, samples: chunk(100) }));
      await c.until(() => c.messages.length === 4);
      c.close();
      const byId = new Map(c.messages.map((m) => [decodeResponse(m).frameId, decodeResponse(m)]));
      ['NaN', 'Infinity', '-Infinity'].forEach((name, i) => {
        const r = byId.get(i)!;
        assert.equal(r.status, STATUS.badRequest, name);
        assert.ok(!isFrameResponse(r));
        assert.match(r.message, new RegExp(`bad-audio: sample ${17 * (i + 1)} is ${name.replace('+', '\\+')}`));
      });
      assert.equal(byId.get(3)!.status, STATUS.ok, 'finite audio on the same connection is answered');
    } finally {
      await server.close();
    }
  });
});
