import { expect } from '@open-wc/testing';
import { ProtocolError } from '../../src/core/errors.js';
import { placePatch, readFramePatch } from '../../src/core/frame-patch.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, isFrameResponse } from '../../src/core/protocol.js';
import { boxBytes, buildZip, makeImage, prng } from '../helpers/zip-writer.js';

const CASES = 20_000;
const SEED = 0x5eed;

/** Runs the whole client-side decode path and the server-side request decode on one input. */
async function decodeEverything(bytes: Uint8Array): Promise<void> {
  try {
    decodeRequest(bytes);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
  const response = decodeResponse(bytes);
  if (isFrameResponse(response)) placePatch(await readFramePatch(response.zip), 720, 1280);
}

describe('codec fuzz', function () {
  this.timeout(120_000);

  it(`throws nothing but ProtocolError over ${CASES} random and mutated messages`, async () => {
    const random = prng(SEED);
    const int = (n: number) => Math.floor(random() * n);
    const jpeg = await makeImage(96, 64);
    const seeds: Uint8Array[] = [
      encodeRequest({ model: 'demo', frameId: 5, samples: new Float32Array(960).map(() => random() * 2 - 1) }),
      encodeResponse({ status: 0, frameId: 5, zip: buildZip([{ name: 'f.jpg', data: jpeg }, { name: 'b', data: boxBytes([10, 20, 110, 84]) }]) }),
      encodeResponse({
        status: 0,
        frameId: 6,
        zip: buildZip([
          { name: 'd/', data: new Uint8Array(0) },
          { name: 'b', data: boxBytes([700, 1200, 800, 1300]), deflate: true, descriptor: true },
          { name: 'f.jpg', data: jpeg, deflate: true, descriptor: true },
        ], { comment: 'c' }),
      }),
      encodeResponse({ status: 2, frameId: 7, message: 'model busy' }),
    ];

    const mutate = (src: Uint8Array): Uint8Array => {
      let b = src.slice();
      const steps = 1 + int(4);
      for (let s = 0; s < steps; s++) {
        switch (int(7)) {
          case 0: // flip bits
            for (let k = 1 + int(8); k > 0; k--) b[int(b.length)]! ^= 1 << int(8);
            break;
          case 1: // random bytes over a run
            for (let k = int(b.length), end = Math.min(b.length, k + 1 + int(32)); k < end; k++) b[k] = int(256);
            break;
          case 2: // truncate
            b = b.slice(0, int(b.length + 1));
            break;
          case 3: { // append junk
            const extra = new Uint8Array(1 + int(64)).map(() => int(256));
            const out = new Uint8Array(b.length + extra.length);
            out.set(b);
            out.set(extra, b.length);
            b = out;
            break;
          }
          case 4: { // overwrite a uint32 (lengths, offsets, sizes) with an edge value
            if (b.length >= 4) {
              const edge = [0, 1, 0xffff, 0xffffffff, 0x7fffffff, b.length, int(0xffffffff)][int(7)]!;
              new DataView(b.buffer).setUint32(int(b.length - 3), edge, true);
            }
            break;
          }
          case 5: // fix the header length to the new size, so the mutation reaches the ZIP
            if (b.length >= 16) new DataView(b.buffer).setUint32(8, b.length - 16, true);
            break;
          default: { // zero a run
            const k = int(b.length);
            b.fill(0, k, k + 1 + int(16));
          }
        }
      }
      return b;
    };

    let protocolErrors = 0;
    let accepted = 0;
    let slowest = 0;
    for (let i = 0; i < CASES; i++) {
      const input = i % 5 === 0 ? new Uint8Array(int(200)).map(() => int(256)) : mutate(seeds[int(seeds.length)]!);
      const started = performance.now();
      try {
        await decodeEverything(input);
        accepted++;
      } catch (err) {
        if (!(err instanceof ProtocolError)) {
          throw new Error(`case ${i} (seed ${SEED}) threw ${String(err)}`);
        }
        protocolErrors++;
      }
      slowest = Math.max(slowest, performance.now() - started);
    }
    expect(protocolErrors + accepted).to.equal(CASES);
    // Both outcomes must occur, or the mutations are not reaching the decoder.
    expect(protocolErrors).to.be.above(CASES / 2);
    expect(accepted).to.be.above(100);
    expect(slowest, 'no case may hang').to.be.below(1000);
    console.log(`fuzz: ${CASES} cases, ${protocolErrors} ProtocolError, ${accepted} accepted, slowest ${slowest.toFixed(1)} ms`);
  });
});
