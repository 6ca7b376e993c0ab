import { ProtocolError, type ProtocolErrorReason } from '../core/errors.js';
import type { Box } from '../core/frame-patch.js';
import { readFramePatch } from '../core/frame-patch.js';
import type { ImageInfo } from '../core/image-info.js';
import { decodeResponse, isFrameResponse } from '../core/protocol.js';

/**
 * One server message as read off the socket, before the session decides what it means for
 * playback: in the network Worker (then transferred, bitmap and all) or on the main thread.
 */
export interface LinkAnswer {
  /** The frame id (-1 when the message could not be read at all). */
  frameId: number;
  /** When it arrived: ms since the epoch (performance.timeOrigin + performance.now()). */
  at: number;
  /** 0 = OK (SPEC §1); anything else an inference error. */
  status: number;
  /** The server's message for a status ≠ 0. */
  message?: string;
  /** Status 0 and readable: the mouth patch, its image decoded. */
  patch?: { bitmap: ImageBitmap; info: ImageInfo; box: Box };
  /**
   * Not readable: at the `message` level (header, length — nothing is known about the frame) or
   * in the `patch` (the ZIP, its image or its box).
   */
  error?: { stage: 'message' | 'patch'; reason: ProtocolErrorReason; message: string };
}

/** Reads one server message (codec, ZIP, image decode). Never throws for what the server sent. */
export async function readAnswer(data: ArrayBuffer | string, at: number): Promise<LinkAnswer> {
  let frameId = -1;
  try {
    const response = decodeResponse(data);
    frameId = response.frameId;
    if (!isFrameResponse(response)) return { frameId, at, status: response.status, message: response.message };
    try {
      const patch = await readFramePatch(response.zip);
      let bitmap: ImageBitmap;
      try {
        bitmap = await createImageBitmap(new Blob([patch.image as BlobPart], { type: patch.info.type }));
      } catch {
        throw new ProtocolError('bad-image', `the ${patch.info.type} image does not decode`);
      }
      return { frameId, at, status: 0, patch: { bitmap, info: patch.info, box: patch.box } };
    } catch (err) {
      if (err instanceof ProtocolError) return { frameId, at, status: 0, error: { stage: 'patch', reason: err.reason, message: err.message } };
      throw err;
    }
  } catch (err) {
    if (err instanceof ProtocolError) return { frameId, at, status: -1, error: { stage: 'message', reason: err.reason, message: err.message } };
    throw err;
  }
}

/** Now, in ms since the epoch: comparable across the page and its Workers. */
export const epochNow = (): number => performance.timeOrigin + performance.now();
