import type { FrameView } from '../context/session-context.js';

type Context2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

/** Where a view's picture is composed, and shown from. */
export interface Surface {
  g: Context2D;
  show?: ImageBitmapRenderingContext | null;
  /** Something was drawn (until then the canvas is left untouched). */
  drawn?: boolean;
}

/**
 * Where a picture is composed: an OffscreenCanvas at the size of the base frame, which is decoded
 * at the size the view shows it (a half or a quarter of the video where that is enough), handed
 * whole to the canvas's `bitmaprenderer` context — the page then commits a bitmap of the shown
 * size, not the 720×1280 one (4 views at 25 fps: 0.9 against 2.2 ms of main thread per animation
 * frame), and the canvas keeps the video's intrinsic size. Without OffscreenCanvas, the canvas's
 * own 2D context at full size. A canvas whose 2D context a page took already keeps it.
 */
export function makeSurface(canvas: HTMLCanvasElement | OffscreenCanvas): Surface | undefined {
  // (Typed as the element: the OffscreenCanvas's contexts are the same for these two.)
  canvas = canvas as HTMLCanvasElement;
  const show = typeof OffscreenCanvas === 'undefined' ? null : canvas.getContext('bitmaprenderer');
  const g = show ? new OffscreenCanvas(1, 1).getContext('2d') : canvas.getContext('2d');
  return g ? { g, show } : undefined;
}

/** Draws one picture (see `compose`) on `s` at `scale` of the video's size, and shows it. */
export function paint(s: Surface, width: number, height: number, scale: number, frame: FrameView, base: ImageBitmap | undefined, debug: boolean): void {
  const g = s.g;
  s.drawn = true;
  if (s.show) {
    // Blank after each hand-over; resized (which clears it too) only when the shown size changes.
    const [w, h] = [Math.round(width * scale), Math.round(height * scale)];
    if (g.canvas.width !== w || g.canvas.height !== h) [g.canvas.width, g.canvas.height] = [w, h];
    g.setTransform(scale, 0, 0, scale, 0, 0);
  } else g.clearRect(0, 0, width, height);
  compose(g, width, height, frame, base, debug);
  s.show?.transferFromImageBitmap((g.canvas as OffscreenCanvas).transferToImageBitmap());
}

/**
 * Draws one picture of a view in video coordinates (`width`×`height`, the context's transform
 * set to them): the base frame (null for an inference view), the AI patch in its place, and with
 * `debug` the box, its coordinates, the frame id and time. The same on the main thread and in
 * the network Worker where it draws the views.
 */
export function compose(g: Context2D, width: number, height: number, frame: FrameView, base: ImageBitmap | undefined, debug: boolean): void {
  if (base) g.drawImage(base, 0, 0, width, height);
  const ai = frame.ai;
  if (ai) {
    const { source: s, target: t } = ai.placement;
    g.drawImage(ai.bitmap, s.x, s.y, s.width, s.height, t.x, t.y, t.width, t.height);
  }
  if (!debug) return;
  g.save();
  g.font = '24px monospace';
  g.lineWidth = 3;
  g.strokeStyle = g.fillStyle = '#f00';
  if (ai) {
    const [x1, y1, x2, y2] = ai.box;
    g.strokeRect(x1, y1, x2 - x1, y2 - y1);
    g.fillText(`[${x1.toFixed(0)}, ${y1.toFixed(0)}, ${x2.toFixed(0)}, ${y2.toFixed(0)}]`, x1, Math.max(24, y1 - 8));
  }
  g.fillText(`frame ${frame.frameId} · base ${frame.baseIndex} · ${((frame.frameId * 40) / 1000).toFixed(2)} s`, 16, 36);
  g.restore();
}
