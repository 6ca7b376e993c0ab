import { deflateSync } from 'fflate';
import { crc32 } from '../../src/core/crc32.js';

/** One entry of a hand-built ZIP, with the knobs the reader's tests need. */
export interface TestZipEntry {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  /** Sizes and CRC after the data (general-purpose flag bit 3), zeros in the local header. */
  descriptor?: boolean;
  flags?: number;
  method?: number;
  extra?: Uint8Array;
  /** Overrides the CRC written (to build a corrupt archive). */
  crc?: number;
}

export interface TestZipOptions {
  comment?: string;
  /** Writes a ZIP64 end-of-central-directory locator before the end record. */
  zip64Locator?: boolean;
  /** Bytes put before the first entry (self-extracting stubs do this). */
  prefix?: Uint8Array;
}

/** Writes a ZIP byte by byte, so tests control every field the reader looks at. */
export function buildZip(entries: TestZipEntry[], options: TestZipOptions = {}): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let offset = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    offset += b.length;
  };
  if (options.prefix) push(options.prefix);
  const central: Uint8Array[] = [];
  for (const e of entries) {
    const name = enc.encode(e.name);
    const extra = e.extra ?? new Uint8Array(0);
    const body = e.deflate ? deflateSync(e.data) : e.data;
    const method = e.method ?? (e.deflate ? 8 : 0);
    const crc = e.crc ?? crc32(e.data);
    const flags = (e.flags ?? 0) | (e.descriptor ? 0x08 : 0) | 0x800;
    const localOffset = offset;
    const local = new Uint8Array(30 + name.length + extra.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, flags, true);
    lv.setUint16(8, method, true);
    if (!e.descriptor) {
      lv.setUint32(14, crc, true);
      lv.setUint32(18, body.length, true);
      lv.setUint32(22, e.data.length, true);
    }
    lv.setUint16(26, name.length, true);
    lv.setUint16(28, extra.length, true);
    local.set(name, 30);
    local.set(extra, 30 + name.length);
    push(local);
    push(body);
    if (e.descriptor) {
      const d = new Uint8Array(16);
      const dv = new DataView(d.buffer);
      dv.setUint32(0, 0x08074b50, true);
      dv.setUint32(4, crc, true);
      dv.setUint32(8, body.length, true);
      dv.setUint32(12, e.data.length, true);
      push(d);
    }
    const c = new Uint8Array(46 + name.length + extra.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, flags, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, e.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint16(30, extra.length, true);
    cv.setUint32(42, localOffset, true);
    c.set(name, 46);
    c.set(extra, 46 + name.length);
    central.push(c);
  }
  const centralOffset = offset;
  for (const c of central) push(c);
  const centralSize = offset - centralOffset;
  if (options.zip64Locator) {
    const l = new Uint8Array(20);
    new DataView(l.buffer).setUint32(0, 0x07064b50, true);
    push(l);
  }
  const comment = enc.encode(options.comment ?? '');
  const end = new Uint8Array(22 + comment.length);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, centralOffset, true);
  ev.setUint16(20, comment.length, true);
  end.set(comment, 22);
  push(end);
  const out = new Uint8Array(offset);
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

export function boxBytes(box: readonly number[]): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  box.forEach((x, i) => v.setFloat32(i * 4, x, true));
  return b;
}

/** A real image, encoded by the browser's own encoder. */
export async function makeImage(width: number, height: number, type = 'image/jpeg'): Promise<Uint8Array> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#c33';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#3c3';
  ctx.fillRect(width / 4, height / 4, width / 2, height / 2);
  const blob = await canvas.convertToBlob({ type, quality: 0.8 });
  return new Uint8Array(await blob.arrayBuffer());
}

/** A seeded PRNG (mulberry32), so a failing fuzz case can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
