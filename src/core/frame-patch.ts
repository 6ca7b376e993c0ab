import { ProtocolError } from './errors.js';
import { readImageInfo, sniffImageType, type ImageInfo } from './image-info.js';
import { readZip, DEFAULT_ZIP_LIMITS, type ZipLimits } from './zip.js';

/** `[x1, y1, x2, y2]` in the model video's pixel space. */
export type Box = readonly [number, number, number, number];

/** What one OK response carries: the image bytes, their header info, and the mouth box. */
export interface FramePatch {
  readonly image: Uint8Array;
  readonly info: ImageInfo;
  readonly box: Box;
}

/** A rectangle as canvas `drawImage` takes it. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Where to take pixels from in the image, and where to draw them in the frame. */
export interface Placement {
  readonly source: Rect;
  readonly target: Rect;
}

export const BOX_BYTES = 16;

function readBox(data: Uint8Array): Box {
  const view = new DataView(data.buffer, data.byteOffset, BOX_BYTES);
  return [view.getFloat32(0, true), view.getFloat32(4, true), view.getFloat32(8, true), view.getFloat32(12, true)];
}

function checkBox(box: Box): void {
  const [x1, y1, x2, y2] = box;
  if (![x1, y1, x2, y2].every(Number.isFinite)) throw new ProtocolError('bad-box', `box [${box.join(', ')}] is not finite`);
  if (!(x1 < x2 && y1 < y2)) throw new ProtocolError('bad-box', `box [${box.join(', ')}] is inverted or empty`);
}

/**
 * Opens a response's ZIP and finds its two entries by content, not by name: the image by its
 * magic bytes, the box by its 16-byte size. Extra entries are ignored; any order is accepted.
 * When several 16-byte entries are present, the first valid box wins.
 */
export async function readFramePatch(zip: Uint8Array, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<FramePatch> {
  const entries = await readZip(zip, limits);
  let image: Uint8Array | undefined;
  const boxes: Box[] = [];
  for (const entry of entries) {
    if (!image && sniffImageType(entry.data)) image = entry.data;
    else if (entry.data.length === BOX_BYTES) boxes.push(readBox(entry.data));
  }
  if (!image) throw new ProtocolError('missing-image', 'no JPEG, PNG or WebP entry in the ZIP');
  if (boxes.length === 0) throw new ProtocolError('missing-box', 'no 16-byte box entry in the ZIP');
  const info = readImageInfo(image);
  let firstError: unknown;
  for (const box of boxes) {
    try {
      checkBox(box);
      return { image, info, box };
    } catch (err) {
      firstError ??= err;
    }
  }
  throw firstError;
}

/**
 * Places a patch into a frame of `frameWidth`×`frameHeight`. An image of the full frame size
 * gives the box region out of it; any other image is the mouth patch, scaled into the box.
 * A box partly outside the frame is clipped (the source shrinks in proportion); one with no
 * area left throws `ProtocolError('box-out-of-frame')`.
 */
export function placePatch(patch: Pick<FramePatch, 'info' | 'box'>, frameWidth: number, frameHeight: number): Placement {
  const [x1, y1, x2, y2] = patch.box;
  checkBox(patch.box);
  const cx1 = Math.max(0, x1);
  const cy1 = Math.max(0, y1);
  const cx2 = Math.min(frameWidth, x2);
  const cy2 = Math.min(frameHeight, y2);
  if (!(cx1 < cx2 && cy1 < cy2)) {
    throw new ProtocolError('box-out-of-frame', `box [${patch.box.join(', ')}] lies outside the ${frameWidth}×${frameHeight} frame`);
  }
  const target: Rect = { x: cx1, y: cy1, width: cx2 - cx1, height: cy2 - cy1 };
  const { width, height } = patch.info;
  if (width === frameWidth && height === frameHeight) return { source: target, target };
  const sx = width / (x2 - x1);
  const sy = height / (y2 - y1);
  const source: Rect = { x: (cx1 - x1) * sx, y: (cy1 - y1) * sy, width: (cx2 - cx1) * sx, height: (cy2 - cy1) * sy };
  return { source, target };
}
