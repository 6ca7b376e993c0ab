import { zipSync } from 'fflate';
import { BOX_BYTES, type Box } from './frame-patch.js';

/**
 * Builds the ZIP of an OK response (the server side of SPEC §1): `frame.jpg` (or .png/.webp
 * by the caller's name) stored as is, since images do not deflate, and `bbox.bin`.
 */
export function writeFramePatch(image: Uint8Array, box: Box, imageName = 'frame.jpg'): Uint8Array {
  const boxBytes = new Uint8Array(BOX_BYTES);
  const view = new DataView(boxBytes.buffer);
  box.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return zipSync({ [imageName]: [image, { level: 0 }], 'bbox.bin': [boxBytes, { level: 0 }] });
}
