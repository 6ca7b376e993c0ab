import { expect } from '@open-wc/testing';
import {
  CHUNK_BYTES,
  CHUNK_SAMPLES,
  createRequestEncoder,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  isFrameResponse,
} from '../../src/core/protocol.js';
import { ProtocolError } from '../../src/core/errors.js';

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ProtocolError);
    return (err as ProtocolError).reason;
  }
  throw new Error('expected a ProtocolError, nothing was thrown');
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

describe('protocol codec: requests', () => {
  it('encodes golden bytes (little-endian header, UTF-8 name, Float32 LE samples, clipped)', () => {
    const bytes = encodeRequest({ model: 'demo', frameId: 7, samples: new Float32Array([0.5, -2, NaN]) });
    expect(hex(bytes)).to.equal(
      '04000000' + '07000000' + '0c000000' + '00000000' + '64656d6f' + '0000003f' + '000080bf' + '00000000',
    );
  });

  it('gives each request its own bytes (the encoder reuses nothing it returns)', () => {
    const encode = createRequestEncoder('abc');
    const first = encode(1, new Float32Array([0.25, 0.5]));
    const second = encode(2, new Float32Array([-0.75, 3]));
    expect(decodeRequest(first)).to.deep.include({ frameId: 1 });
    expect(Array.from(decodeRequest(first).samples)).to.deep.equal([0.25, 0.5]);
    expect(Array.from(decodeRequest(second).samples)).to.deep.equal([-0.75, 1]);
    expect(first.buffer).to.not.equal(second.buffer);
    expect([first.byteOffset, first.buffer.byteLength]).to.deep.equal([0, first.length]);
    // A different chunk length on the same encoder.
    expect(Array.from(decodeRequest(encode(3, new Float32Array([0.125, -0.125, 0.5]))).samples)).to.deep.equal([0.125, -0.125, 0.5]);
  });

  it('round-trips a 960-sample chunk whose samples sit at an unaligned offset', () => {
    const samples = new Float32Array(CHUNK_SAMPLES).map((_, i) => Math.sin(i / 10) * 0.9);
    for (const model of ['demo', 'ab', 'modèle-ü']) {
      const bytes = createRequestEncoder(model)(123456, samples);
      expect(bytes.length).to.equal(16 + new TextEncoder().encode(model).length + CHUNK_BYTES);
      // Put the message at an odd offset of a bigger buffer too.
      const shifted = new Uint8Array(bytes.length + 3);
      shifted.set(bytes, 3);
      for (const input of [bytes, shifted.subarray(3), bytes.buffer]) {
        const decoded = decodeRequest(input);
        expect(decoded.model).to.equal(model);
        expect(decoded.frameId).to.equal(123456);
        expect(Array.from(decoded.samples)).to.deep.equal(Array.from(samples));
      }
    }
  });

  it('rejects every malformed request with its reason', () => {
    const good = encodeRequest({ model: 'demo', frameId: 1, samples: new Float32Array(4) });
    const withField = (offset: number, value: number) => {
      const b = good.slice();
      new DataView(b.buffer).setUint32(offset, value, true);
      return b;
    };
    expect(reasonOf(() => decodeRequest('text'))).to.equal('not-binary');
    expect(reasonOf(() => decodeRequest({}))).to.equal('not-binary');
    expect(reasonOf(() => decodeRequest(good.subarray(0, 15)))).to.equal('short-header');
    expect(reasonOf(() => decodeRequest(good.subarray(0, good.length - 1)))).to.equal('length-mismatch');
    expect(reasonOf(() => decodeRequest(withField(12, 1)))).to.equal('reserved-nonzero');
    expect(reasonOf(() => decodeRequest(withField(0, 0xffffffff)))).to.equal('too-large');
    expect(reasonOf(() => decodeRequest(withField(8, 0xffffffff)))).to.equal('too-large');
    const empty = withField(0, 0);
    expect(reasonOf(() => decodeRequest(empty.subarray(0, empty.length - 4)))).to.equal('bad-model-name');
    const odd = new Uint8Array(good.length + 1);
    odd.set(good);
    new DataView(odd.buffer).setUint32(8, 17, true);
    expect(reasonOf(() => decodeRequest(odd))).to.equal('bad-audio-length');
    const badUtf8 = good.slice();
    badUtf8[16] = 0xff;
    expect(reasonOf(() => decodeRequest(badUtf8))).to.equal('bad-model-name');
    expect(reasonOf(() => createRequestEncoder(''))).to.equal('bad-model-name');
  });
});

describe('protocol codec: responses', () => {
  it('round-trips OK and error responses', () => {
    const zip = new Uint8Array([1, 2, 3, 4, 5]);
    const ok = decodeResponse(encodeResponse({ status: 0, frameId: 42, zip }));
    expect(isFrameResponse(ok)).to.equal(true);
    expect(ok.frameId).to.equal(42);
    expect(Array.from((ok as { zip: Uint8Array }).zip)).to.deep.equal([1, 2, 3, 4, 5]);

    const err = decodeResponse(encodeResponse({ status: 3, frameId: 9, message: 'unknown model "x"' }));
    expect(isFrameResponse(err)).to.equal(false);
    expect(err).to.deep.include({ status: 3, frameId: 9, message: 'unknown model "x"' });
    expect(decodeResponse(encodeResponse({ status: 1, frameId: 1, message: '' }))).to.deep.include({ message: '' });
  });

  it('has golden header bytes and ignores the reserved field', () => {
    const bytes = encodeResponse({ status: 0, frameId: 258, zip: new Uint8Array([0xaa]) });
    expect(hex(bytes)).to.equal('00000000' + '02010000' + '01000000' + '00000000' + 'aa');
    bytes[12] = 0x7f;
    expect(decodeResponse(bytes).frameId).to.equal(258);
  });

  it('rejects short, mismatched, oversized and text responses', () => {
    const good = encodeResponse({ status: 0, frameId: 1, zip: new Uint8Array(8) });
    expect(reasonOf(() => decodeResponse('{"frame":1}'))).to.equal('not-binary');
    expect(reasonOf(() => decodeResponse(good.subarray(0, 4)))).to.equal('short-header');
    expect(reasonOf(() => decodeResponse(good.subarray(0, good.length - 1)))).to.equal('length-mismatch');
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect(reasonOf(() => decodeResponse(longer))).to.equal('length-mismatch');
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(8, 0xfffffff0, true);
    expect(reasonOf(() => decodeResponse(huge))).to.equal('too-large');
  });
});
