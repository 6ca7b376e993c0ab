// The codec against JSON + base64 carrying the same data (what the binary format replaces), for
// the four operations of one exchange, in whichever runtime imports it (the bench runs it in the
// browser for the client's side and in Node for the server's). `protocol` is src/core/protocol.ts
// built as ESM; `base64` the runtime's fastest base64 (bytes → string, string → bytes).

/** µs per call of `fn`: the median of 5 rounds of n/5 calls each, after a warm-up. */
function time(fn, n) {
  for (let i = 0; i < 5000; i++) fn(i);
  const rounds = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < n / 5; i++) fn(i);
    rounds.push(((performance.now() - t) / (n / 5)) * 1000);
  }
  return rounds.sort((a, b) => a - b)[2];
}

export function measureCodec(protocol, base64, n) {
  const { createRequestEncoder, decodeRequest, encodeResponse, decodeResponse } = protocol;
  const samples = new Float32Array(960).map((_, i) => Math.sin(i / 7) * 0.5); // one 40 ms chunk
  const zip = new Uint8Array(12_000).map((_, i) => (i * 31) & 255); // a typical patch answer
  const sampleBytes = (s) => new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
  const encode = createRequestEncoder('demo');
  const jsonRequest = (i) => JSON.stringify({ model: 'demo', frameId: i, audio: base64.encode(sampleBytes(samples)) });
  const jsonResponse = (i) => JSON.stringify({ status: 0, frameId: i, zip: base64.encode(zip) });
  const request = encode(1, samples);
  const response = encodeResponse({ status: 0, frameId: 1, zip });
  const requestText = jsonRequest(1);
  const responseText = jsonResponse(1);
  const pair = (binary, json) => ({ binaryUs: binary, jsonUs: json, speedup: json / binary });
  // Each decode returns what a consumer needs: the samples as a Float32Array, the ZIP as bytes.
  return {
    base64: base64.name,
    requestBytes: { binary: request.length, json: new TextEncoder().encode(requestText).length },
    responseBytes: { binary: response.length, json: new TextEncoder().encode(responseText).length },
    encodeRequest: pair(time((i) => encode(i, samples), n), time(jsonRequest, n)),
    decodeRequest: pair(
      time(() => decodeRequest(request), n),
      time(() => {
        const b = base64.decode(JSON.parse(requestText).audio);
        return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
      }, n),
    ),
    encodeResponse: pair(time((i) => encodeResponse({ status: 0, frameId: i, zip }), n), time(jsonResponse, n)),
    decodeResponse: pair(time(() => decodeResponse(response), n), time(() => base64.decode(JSON.parse(responseText).zip), n)),
  };
}

/** The browser's base64: Uint8Array's own methods where it has them, else btoa/atob. */
export function browserBase64() {
  if (typeof Uint8Array.prototype.toBase64 === 'function' && typeof Uint8Array.fromBase64 === 'function') {
    return { name: 'Uint8Array.toBase64/fromBase64', encode: (b) => b.toBase64(), decode: (s) => Uint8Array.fromBase64(s) };
  }
  return {
    name: 'btoa/atob',
    encode: (b) => {
      let s = '';
      for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
      return btoa(s);
    },
    decode: (s) => {
      const bin = atob(s);
      const out = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
      return out;
    },
  };
}
