import { ProtocolError } from './errors.js';

export type ImageType = 'image/jpeg' | 'image/png' | 'image/webp';

export interface ImageInfo {
  readonly type: ImageType;
  readonly width: number;
  readonly height: number;
}

/** Largest side accepted for an image from the server; checked before it is decoded. */
export const MAX_IMAGE_SIDE = 8192;

function ascii(bytes: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The image type from its magic bytes, or undefined when it is none of JPEG, PNG, WebP. */
export function sniffImageType(bytes: Uint8Array): ImageType | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(bytes, 1, 'PNG\r\n\x1a\n')) return 'image/png';
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'image/webp';
  return undefined;
}

function jpegSize(bytes: Uint8Array, view: DataView): [number, number] | undefined {
  let p = 2;
  // Each step moves forward by at least one byte, so the loop ends with the input.
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return undefined;
    const marker = bytes[p + 1]!;
    if (marker === 0xff) {
      p += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2; // no length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image, or scan before any frame header
    const length = view.getUint16(p + 2);
    if (length < 2) return undefined;
    const isFrameHeader = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrameHeader) {
      if (p + 9 > bytes.length) return undefined;
      return [view.getUint16(p + 7), view.getUint16(p + 5)];
    }
    p += 2 + length;
  }
  return undefined;
}

function pngSize(bytes: Uint8Array, view: DataView): [number, number] | undefined {
  if (bytes.length < 24 || !ascii(bytes, 12, 'IHDR')) return undefined;
  return [view.getUint32(16), view.getUint32(20)];
}

function webpSize(bytes: Uint8Array, view: DataView): [number, number] | undefined {
  if (ascii(bytes, 12, 'VP8 ') && bytes.length >= 30) {
    return [view.getUint16(26, true) & 0x3fff, view.getUint16(28, true) & 0x3fff];
  }
  if (ascii(bytes, 12, 'VP8L') && bytes.length >= 25 && bytes[20] === 0x2f) {
    const bits = view.getUint32(21, true);
    return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
  }
  if (ascii(bytes, 12, 'VP8X') && bytes.length >= 30) {
    const w = bytes[24]! | (bytes[25]! << 8) | (bytes[26]! << 16);
    const h = bytes[27]! | (bytes[28]! << 8) | (bytes[29]! << 16);
    return [w + 1, h + 1];
  }
  return undefined;
}

/**
 * Type and pixel size of a JPEG, PNG or WebP from its header alone, so that a server's
 * image is sized before any decoder allocates for it. Throws `ProtocolError('bad-image')`.
 */
export function readImageInfo(bytes: Uint8Array): ImageInfo {
  const type = sniffImageType(bytes);
  if (!type) throw new ProtocolError('bad-image', 'not a JPEG, PNG or WebP image');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = type === 'image/jpeg' ? jpegSize(bytes, view) : type === 'image/png' ? pngSize(bytes, view) : webpSize(bytes, view);
  if (!size) throw new ProtocolError('bad-image', `${type} header has no readable size`);
  const [width, height] = size;
  if (!(width >= 1 && height >= 1 && width <= MAX_IMAGE_SIDE && height <= MAX_IMAGE_SIDE)) {
    throw new ProtocolError(width >= 1 && height >= 1 ? 'too-large' : 'bad-image', `${type} of ${width}×${height} pixels (1 to ${MAX_IMAGE_SIDE} a side)`);
  }
  return { type, width, height };
}
