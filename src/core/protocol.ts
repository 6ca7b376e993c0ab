import { ProtocolError } from './errors.js';

/** Audio rate of the protocol, in Hz. */
export const SAMPLE_RATE = 24_000;
/** One chunk: 40 ms. */
export const CHUNK_MS = 40;
/** Samples in one chunk (40 ms at 24 kHz). */
export const CHUNK_SAMPLES = 960;
/** Bytes of audio in one chunk's request. */
export const CHUNK_BYTES = CHUNK_SAMPLES * 4;
/** Video frames per second; one frame per chunk. */
export const FPS = 25;
/** Bytes of the fixed header on every message, either way. */
export const HEADER_BYTES = 16;

/** Status of a response that carries a frame. */
export const STATUS_OK = 0;

export interface CodecLimits {
  /** Longest model name, in UTF-8 bytes. */
  maxModelBytes: number;
  /** Most audio bytes in one request. */
  maxAudioBytes: number;
  /** Most payload bytes (ZIP or message) in one response. */
  maxPayloadBytes: number;
}

export const DEFAULT_CODEC_LIMITS: CodecLimits = {
  maxModelBytes: 1024,
  maxAudioBytes: SAMPLE_RATE * 4,
  maxPayloadBytes: 8 * 1024 * 1024,
};

/** A request: one chunk of audio for one frame id. */
export interface InferenceRequest {
  readonly model: string;
  readonly frameId: number;
  readonly samples: Float32Array;
}

/** A response that carries a frame: `zip` holds the image and the box. */
export interface FrameResponse {
  readonly status: 0;
  readonly frameId: number;
  readonly zip: Uint8Array;
}

/** A response that reports an error for one frame. */
export interface ErrorResponse {
  readonly status: number;
  readonly frameId: number;
  readonly message: string;
}

export type InferenceResponse = FrameResponse | ErrorResponse;

export function isFrameResponse(response: InferenceResponse): response is FrameResponse {
  return response.status === STATUS_OK;
}

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isUint32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

/**
 * Turns whatever a WebSocket or a caller handed over into bytes, or throws
 * `ProtocolError('not-binary')` (a text frame is a protocol error, SPEC §1).
 */
export function asBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') throw new ProtocolError('not-binary', 'a text frame is not part of the protocol');
  throw new ProtocolError('not-binary', 'message is not binary data');
}

function header(bytes: Uint8Array): DataView {
  if (bytes.length < HEADER_BYTES) {
    throw new ProtocolError('short-header', `${bytes.length} bytes, the header alone is ${HEADER_BYTES}`);
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Copies little-endian Float32 samples out of `bytes` at any alignment. */
function readSamples(bytes: Uint8Array, offset: number, count: number): Float32Array {
  if (LITTLE_ENDIAN_HOST) {
    const start = bytes.byteOffset + offset;
    return new Float32Array(bytes.buffer.slice(start, start + count * 4));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 4);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/**
 * Encodes requests for one model. The model name is encoded once; each call writes one
 * message with the samples clipped to [-1, 1] (NaN becomes 0).
 */
export function createRequestEncoder(model: string): (frameId: number, samples: Float32Array) => Uint8Array {
  const name = encoder.encode(model);
  if (name.length === 0) throw new ProtocolError('bad-model-name', 'model name is empty');
  if (name.length > DEFAULT_CODEC_LIMITS.maxModelBytes) {
    throw new ProtocolError('too-large', `model name is ${name.length} bytes, at most ${DEFAULT_CODEC_LIMITS.maxModelBytes}`);
  }
  // Samples are clipped into this array (kept for the next call) and copied in as bytes: much
  // faster than writing each one through a DataView.
  let clipped = new Float32Array(0);
  let clippedBytes = new Uint8Array(0);
  return (frameId, samples) => {
    if (!isUint32(frameId)) throw new RangeError(`frame id ${frameId} is not a uint32`);
    const n = samples.length;
    const base = HEADER_BYTES + name.length;
    const out = new Uint8Array(base + n * 4);
    const view = new DataView(out.buffer);
    view.setUint32(0, name.length, true);
    view.setUint32(4, frameId, true);
    view.setUint32(8, n * 4, true);
    out.set(name, HEADER_BYTES);
    if (clipped.length !== n) clippedBytes = new Uint8Array((clipped = new Float32Array(n)).buffer);
    for (let i = 0; i < n; i++) {
      const s = samples[i]!;
      clipped[i] = s > 1 ? 1 : s < -1 ? -1 : s === s ? s : 0;
    }
    // A Float32Array holds the host's byte order; the wire's is little-endian.
    if (LITTLE_ENDIAN_HOST) out.set(clippedBytes, base);
    else for (let i = 0; i < n; i++) view.setFloat32(base + i * 4, clipped[i]!, true);
    return out;
  };
}

/** Encodes one request (see `createRequestEncoder` for a model's hot path). */
export function encodeRequest(request: InferenceRequest): Uint8Array {
  return createRequestEncoder(request.model)(request.frameId, request.samples);
}

/** Decodes a request, as a server does. Throws `ProtocolError` for anything that breaks SPEC §1. */
export function decodeRequest(data: unknown, limits: CodecLimits = DEFAULT_CODEC_LIMITS): InferenceRequest {
  const bytes = asBytes(data);
  const view = header(bytes);
  const nameLength = view.getUint32(0, true);
  const frameId = view.getUint32(4, true);
  const audioLength = view.getUint32(8, true);
  if (view.getUint32(12, true) !== 0) throw new ProtocolError('reserved-nonzero', 'reserved header field is not 0');
  if (nameLength > limits.maxModelBytes) {
    throw new ProtocolError('too-large', `model name of ${nameLength} bytes, at most ${limits.maxModelBytes}`);
  }
  if (audioLength > limits.maxAudioBytes) {
    throw new ProtocolError('too-large', `audio of ${audioLength} bytes, at most ${limits.maxAudioBytes}`);
  }
  const expected = HEADER_BYTES + nameLength + audioLength;
  if (bytes.length !== expected) {
    throw new ProtocolError('length-mismatch', `${bytes.length} bytes, the header announces ${expected}`);
  }
  if (nameLength === 0) throw new ProtocolError('bad-model-name', 'model name is empty');
  if (audioLength % 4 !== 0) throw new ProtocolError('bad-audio-length', `${audioLength} audio bytes is not whole Float32 samples`);
  let model: string;
  try {
    model = strictUtf8.decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + nameLength));
  } catch {
    throw new ProtocolError('bad-model-name', 'model name is not UTF-8');
  }
  const samples = readSamples(bytes, HEADER_BYTES + nameLength, audioLength / 4);
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i])) throw new ProtocolError('bad-audio', `sample ${i} is ${samples[i]}: audio must be finite numbers`);
  }
  return { model, frameId, samples };
}

/** Encodes a response: a frame's ZIP (status 0) or an error message (status ≠ 0). */
export function encodeResponse(response: InferenceResponse): Uint8Array {
  if (!isUint32(response.status)) throw new RangeError(`status ${response.status} is not a uint32`);
  if (!isUint32(response.frameId)) throw new RangeError(`frame id ${response.frameId} is not a uint32`);
  const payload = isFrameResponse(response) ? response.zip : encoder.encode((response as ErrorResponse).message);
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, response.status, true);
  view.setUint32(4, response.frameId, true);
  view.setUint32(8, payload.length, true);
  out.set(payload, HEADER_BYTES);
  return out;
}

/**
 * Decodes a response's header and payload. The ZIP is not opened here (`readFramePatch` does
 * that), so a client can check the id before spending time on it.
 */
export function decodeResponse(data: unknown, limits: CodecLimits = DEFAULT_CODEC_LIMITS): InferenceResponse {
  const bytes = asBytes(data);
  const view = header(bytes);
  const status = view.getUint32(0, true);
  const frameId = view.getUint32(4, true);
  const payloadLength = view.getUint32(8, true);
  if (payloadLength > limits.maxPayloadBytes) {
    throw new ProtocolError('too-large', `payload of ${payloadLength} bytes, at most ${limits.maxPayloadBytes}`);
  }
  if (bytes.length !== HEADER_BYTES + payloadLength) {
    throw new ProtocolError('length-mismatch', `${bytes.length} bytes, the header announces ${HEADER_BYTES + payloadLength}`);
  }
  const payload = bytes.subarray(HEADER_BYTES);
  if (status === STATUS_OK) return { status: STATUS_OK, frameId, zip: payload };
  return { status, frameId, message: lenientUtf8.decode(payload) };
}
