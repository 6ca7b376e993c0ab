import { crc32 } from './crc32.js';
import { ProtocolError } from './errors.js';

/** One file of a ZIP archive, decompressed. */
export interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

export interface ZipLimits {
  /** Most entries the central directory may list. */
  maxEntries: number;
  /** Largest uncompressed size of one entry, checked before allocation. */
  maxEntryBytes: number;
  /** Largest uncompressed size of all entries together. */
  maxTotalBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 64,
  maxEntryBytes: 16 * 1024 * 1024,
  maxTotalBytes: 32 * 1024 * 1024,
};

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const EOCD_BYTES = 22;
const CENTRAL_BYTES = 46;
const LOCAL_BYTES = 30;
const MAX_COMMENT = 0xffff;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const METHOD_AES = 99;
const EXTRA_ZIP64 = 0x0001;

const utf8 = new TextDecoder('utf-8');

function corrupt(message: string): ProtocolError {
  return new ProtocolError('zip-corrupt', message);
}

function findEndOfCentralDirectory(bytes: Uint8Array, view: DataView): number {
  const last = bytes.length - EOCD_BYTES;
  const first = Math.max(0, last - MAX_COMMENT);
  for (let i = last; i >= first; i--) {
    if (view.getUint32(i, true) === SIG_EOCD) {
      const commentLength = view.getUint16(i + 20, true);
      // A signature inside the comment would claim a comment that does not reach the end.
      if (i + EOCD_BYTES + commentLength === bytes.length) return i;
    }
  }
  throw corrupt('no end record');
}

function hasZip64Extra(view: DataView, start: number, end: number): boolean {
  let p = start;
  while (p + 4 <= end) {
    const id = view.getUint16(p, true);
    const size = view.getUint16(p + 2, true);
    if (id === EXTRA_ZIP64) return true;
    p += 4 + size;
  }
  return false;
}

/**
 * Inflates raw deflate data with the platform's own `DecompressionStream` (browsers, Workers,
 * Node ≥ 20), reading its output as it comes and stopping the moment it passes the declared
 * size, so a deflate bomb costs no more than `size` bytes of work.
 */
async function inflate(input: Uint8Array, size: number, name: string): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let written = 0;
  const stream = new DecompressionStream('deflate-raw');
  const writer = stream.writable.getWriter();
  // Failures surface on the reading side; these promises must not reject unhandled.
  writer.write(input as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (written + value.length > size) throw corrupt(`entry "${name}" inflates past its declared ${size} bytes`);
      out.set(value, written);
      written += value.length;
    }
  } catch (err) {
    void reader.cancel().catch(() => {});
    if (err instanceof ProtocolError) throw err;
    throw corrupt(`entry "${name}": ${err instanceof Error ? err.message : 'invalid deflate data'}`);
  }
  if (written !== size) throw corrupt(`entry "${name}" inflates to ${written} bytes, ${size} declared`);
  return out;
}

/**
 * Reads a ZIP archive from its central directory (so data descriptors need no special case).
 * Accepts stored and deflated entries, archive comments and directory entries (skipped);
 * ZIP64, encryption, other methods, bad CRCs and anything inconsistent throw `ProtocolError`.
 * Every size is checked against `limits` before anything is allocated for it.
 */
export async function readZip(bytes: Uint8Array, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<ZipEntry[]> {
  if (bytes.length < EOCD_BYTES) throw corrupt(`${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfCentralDirectory(bytes, view);

  if (eocd >= 20 && view.getUint32(eocd - 20, true) === SIG_ZIP64_LOCATOR) {
    throw new ProtocolError('zip64', 'ZIP64');
  }
  const diskNumber = view.getUint16(eocd + 4, true);
  const centralDisk = view.getUint16(eocd + 6, true);
  const entriesOnDisk = view.getUint16(eocd + 8, true);
  const entryCount = view.getUint16(eocd + 10, true);
  const centralSize = view.getUint32(eocd + 12, true);
  const centralOffset = view.getUint32(eocd + 16, true);
  if (entryCount === 0xffff || centralSize === 0xffffffff || centralOffset === 0xffffffff) {
    throw new ProtocolError('zip64', 'ZIP64');
  }
  if (diskNumber !== 0 || centralDisk !== 0 || entriesOnDisk !== entryCount) {
    throw corrupt('multi-disk');
  }
  if (entryCount > limits.maxEntries) {
    throw new ProtocolError('too-large', `${entryCount} entries, at most ${limits.maxEntries}`);
  }
  if (centralOffset + centralSize > eocd) throw corrupt('bad directory offset');

  const entries: ZipEntry[] = [];
  let total = 0;
  let p = centralOffset;
  const centralEnd = centralOffset + centralSize;
  for (let i = 0; i < entryCount; i++) {
    if (p + CENTRAL_BYTES > centralEnd || view.getUint32(p, true) !== SIG_CENTRAL) {
      throw corrupt(`entry ${i} missing`);
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    const compressedSize = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const localOffset = view.getUint32(p + 42, true);
    const nameStart = p + CENTRAL_BYTES;
    const next = nameStart + nameLength + extraLength + commentLength;
    if (next > centralEnd) throw corrupt(`entry ${i} overruns`);
    const name = utf8.decode(bytes.subarray(nameStart, nameStart + nameLength));
    const extraStart = nameStart + nameLength;
    p = next;

    if (
      compressedSize === 0xffffffff ||
      size === 0xffffffff ||
      localOffset === 0xffffffff ||
      hasZip64Extra(view, extraStart, extraStart + extraLength)
    ) {
      throw new ProtocolError('zip64', `entry "${name}" uses ZIP64`);
    }
    if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) || method === METHOD_AES) {
      throw new ProtocolError('zip-encrypted', `entry "${name}" is encrypted`);
    }
    if (method !== METHOD_STORED && method !== METHOD_DEFLATE) {
      throw new ProtocolError('zip-method', `entry "${name}" uses compression method ${method}`);
    }
    if (size > limits.maxEntryBytes) {
      throw new ProtocolError('too-large', `entry "${name}" is ${size} bytes, at most ${limits.maxEntryBytes}`);
    }
    total += size;
    if (total > limits.maxTotalBytes) {
      throw new ProtocolError('too-large', `entries exceed ${limits.maxTotalBytes} bytes in all`);
    }

    if (localOffset + LOCAL_BYTES > centralOffset || view.getUint32(localOffset, true) !== SIG_LOCAL) {
      throw corrupt(`entry "${name}": no local header`);
    }
    const dataStart =
      localOffset + LOCAL_BYTES + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    const dataEnd = dataStart + compressedSize;
    if (dataEnd > centralOffset) throw corrupt(`entry "${name}" overruns`);

    const isDirectory = name.endsWith('/');
    if (isDirectory && size === 0) continue;

    const raw = bytes.subarray(dataStart, dataEnd);
    let data: Uint8Array;
    if (method === METHOD_STORED) {
      if (compressedSize !== size) throw corrupt(`entry "${name}": size mismatch`);
      data = raw;
    } else {
      data = await inflate(raw, size, name);
    }
    if (crc32(data) !== crc) throw new ProtocolError('zip-crc', `entry "${name}" fails its CRC check`);
    entries.push({ name, data });
  }
  return entries;
}
