/**
 * The demo avatar, drawn from scratch: a stylised portrait with slight head and eye motion, and
 * lips that take any shape. The model generator draws every video frame with it (mouth closed)
 * and the bare-skin crops around the mouth; the reference server draws lips over those crops.
 * Works on any 2D context with the standard API (browser canvas or @napi-rs/canvas).
 */

export const WIDTH = 720;
export const HEIGHT = 1280;
export const FPS = 25;
/** Size of the mouth patch the server answers with. */
export const PATCH_WIDTH = 200;
export const PATCH_HEIGHT = 136;
/** Motion repeats every this many seconds, so the base loop has no jump. */
const PERIOD_S = 10;

type Ctx = CanvasRenderingContext2D;

/** A lip shape: how open, how wide, how rounded; each 0..1. */
export interface MouthShape {
  open: number;
  wide: number;
  round: number;
}

export const CLOSED: MouthShape = { open: 0, wide: 0.5, round: 0 };

/** Where the mouth is in one frame: centre, tilt (radians) and width at rest, in video pixels. */
export interface MouthPose {
  cx: number;
  cy: number;
  angle: number;
  width: number;
}

interface HeadPose {
  x: number;
  y: number;
  angle: number;
  gazeX: number;
  gazeY: number;
  blink: number;
}

const TAU = Math.PI * 2;

function headPose(frame: number): HeadPose {
  const t = frame / FPS;
  const w = TAU / PERIOD_S;
  // Blinks at fixed times in the loop, 160 ms each.
  let blink = 0;
  for (const at of [1.7, 5.2, 8.4]) {
    const d = Math.abs(t - at);
    if (d < 0.08) blink = Math.max(blink, 1 - d / 0.08);
  }
  return {
    x: 360 + 9 * Math.sin(w * t) + 3 * Math.sin(3 * w * t + 1),
    y: 560 + 6 * Math.sin(2 * w * t + 0.5),
    angle: 0.035 * Math.sin(w * t + 2),
    gazeX: 5 * Math.sin(2 * w * t + 1.3),
    gazeY: 2 * Math.sin(3 * w * t),
    blink,
  };
}

const MOUTH_OFFSET_Y = 148;
const MOUTH_WIDTH = 104;

/** Where the mouth sits in frame `frame`. */
export function mouthPose(frame: number): MouthPose {
  const h = headPose(frame);
  const cos = Math.cos(h.angle);
  const sin = Math.sin(h.angle);
  return { cx: h.x - sin * MOUTH_OFFSET_Y, cy: h.y + cos * MOUTH_OFFSET_Y, angle: h.angle, width: MOUTH_WIDTH };
}

/** The patch box for frame `frame`: whole pixels, `PATCH_WIDTH`×`PATCH_HEIGHT`, centred on the mouth. */
export function mouthBox(frame: number): [number, number, number, number] {
  const m = mouthPose(frame);
  const x1 = Math.round(m.cx - PATCH_WIDTH / 2);
  const y1 = Math.round(m.cy - PATCH_HEIGHT / 2 + 8);
  return [x1, y1, x1 + PATCH_WIDTH, y1 + PATCH_HEIGHT];
}

function ellipse(ctx: Ctx, x: number, y: number, rx: number, ry: number, fill: string | CanvasGradient): void {
  ctx.beginPath();
  ctx.ellipse(x, y, rx, ry, 0, 0, TAU);
  ctx.fillStyle = fill;
  ctx.fill();
}

function drawBackground(ctx: Ctx): void {
  const g = ctx.createLinearGradient(0, 0, 0, HEIGHT);
  g.addColorStop(0, '#5b7a99');
  g.addColorStop(1, '#22313f');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, WIDTH, HEIGHT);
}

function drawBody(ctx: Ctx, h: HeadPose): void {
  // Torso and neck follow the head a little.
  const sx = (h.x - 360) * 0.4;
  ctx.fillStyle = '#2f4858';
  ctx.beginPath();
  ctx.moveTo(40 + sx, HEIGHT);
  ctx.bezierCurveTo(60 + sx, 1000, 200 + sx, 930, 360 + sx, 925);
  ctx.bezierCurveTo(520 + sx, 930, 660 + sx, 1000, 680 + sx, HEIGHT);
  ctx.closePath();
  ctx.fill();
  ctx.fillStyle = '#d39c77';
  ctx.beginPath();
  ctx.moveTo(h.x - 70, h.y + 180);
  ctx.lineTo(h.x + 70, h.y + 180);
  ctx.lineTo(360 + sx + 80, 950);
  ctx.quadraticCurveTo(360 + sx, 990, 360 + sx - 80, 950);
  ctx.closePath();
  ctx.fill();
}

function drawHead(ctx: Ctx, h: HeadPose): void {
  // Ears
  ellipse(ctx, -178, 10, 26, 48, '#d7a07a');
  ellipse(ctx, 178, 10, 26, 48, '#d7a07a');
  // Face with soft shading
  const g = ctx.createRadialGradient(-40, -60, 40, 0, 0, 260);
  g.addColorStop(0, '#f1c6a1');
  g.addColorStop(1, '#d49a73');
  ellipse(ctx, 0, 0, 180, 240, g);
  // Hair
  ctx.fillStyle = '#3b2a20';
  ctx.beginPath();
  ctx.ellipse(0, -95, 192, 165, 0, Math.PI * 1.02, Math.PI * 1.98);
  ctx.bezierCurveTo(150, -170, 60, -175, 0, -160);
  ctx.bezierCurveTo(-70, -150, -150, -140, -188, -120);
  ctx.closePath();
  ctx.fill();
  // Brows
  ctx.strokeStyle = '#3b2a20';
  ctx.lineWidth = 9;
  ctx.lineCap = 'round';
  for (const s of [-1, 1]) {
    ctx.beginPath();
    ctx.moveTo(s * 40, -62);
    ctx.quadraticCurveTo(s * 75, -78, s * 110, -62);
    ctx.stroke();
  }
  // Eyes
  for (const s of [-1, 1]) {
    const ex = s * 72;
    const ey = -20;
    ctx.save();
    ctx.beginPath();
    ctx.ellipse(ex, ey, 34, 18 * (1 - h.blink) + 0.5, 0, 0, TAU);
    ctx.clip();
    ellipse(ctx, ex, ey, 34, 18, '#fbfbf8');
    ellipse(ctx, ex + h.gazeX, ey + h.gazeY, 14, 14, '#4a6b8a');
    ellipse(ctx, ex + h.gazeX, ey + h.gazeY, 6.5, 6.5, '#111');
    ellipse(ctx, ex + h.gazeX + 4, ey + h.gazeY - 4, 2.5, 2.5, '#fff');
    ctx.restore();
    ctx.strokeStyle = '#7a4e38';
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.ellipse(ex, ey, 34, 18 * (1 - h.blink) + 0.5, 0, Math.PI, TAU);
    ctx.stroke();
  }
  // Nose
  ctx.strokeStyle = '#b77c58';
  ctx.lineWidth = 4;
  ctx.beginPath();
  ctx.moveTo(-6, 10);
  ctx.quadraticCurveTo(-16, 70, -22, 82);
  ctx.quadraticCurveTo(0, 96, 22, 82);
  ctx.stroke();
}

/** Draws the avatar for `frame` with the mouth left out (bare skin where the lips go). */
export function drawFaceWithoutMouth(ctx: Ctx, frame: number): void {
  const h = headPose(frame);
  drawBackground(ctx);
  drawBody(ctx, h);
  ctx.save();
  ctx.translate(h.x, h.y);
  ctx.rotate(h.angle);
  drawHead(ctx, h);
  ctx.restore();
}

/**
 * Draws lips of `shape` at `pose` (coordinates of the context it is given, so a patch canvas
 * translated by the box origin works the same as the whole frame).
 */
export function drawMouth(ctx: Ctx, pose: MouthPose, shape: MouthShape): void {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const open = clamp(shape.open);
  const wide = clamp(shape.wide);
  const round = clamp(shape.round);
  const halfW = (pose.width / 2) * (0.8 + 0.35 * (wide - 0.5) - 0.3 * round);
  const gap = open * pose.width * 0.62;
  const upper = pose.width * 0.1;
  const lower = pose.width * 0.14;
  ctx.save();
  ctx.translate(pose.cx, pose.cy);
  ctx.rotate(pose.angle);

  // Inner edges of the lips: quadratic curves through the corners; their middles sit at
  // -0.275·gap (upper) and +0.725·gap (lower).
  const innerTop = -gap * 0.55;
  const innerBottom = gap * 1.45;
  if (gap > 1) {
    ctx.save();
    ctx.beginPath();
    ctx.moveTo(-halfW, 0);
    ctx.quadraticCurveTo(0, innerTop, halfW, 0);
    ctx.quadraticCurveTo(0, innerBottom, -halfW, 0);
    ctx.closePath();
    ctx.fillStyle = '#4a1414';
    ctx.fill();
    ctx.clip();
    ctx.fillStyle = '#f4f1ea';
    ctx.fillRect(-halfW * 0.7, -gap * 0.6, halfW * 1.4, gap * 0.42);
    ellipse(ctx, 0, gap * 0.68, halfW * 0.6, gap * 0.22, '#b5485a');
    ctx.restore();
  }

  // Upper lip with a cupid's bow, lower lip fuller; both bands follow the opening.
  const top = -gap * 0.275;
  ctx.fillStyle = '#b3525a';
  ctx.beginPath();
  ctx.moveTo(-halfW - 4, 0);
  ctx.bezierCurveTo(-halfW * 0.6, top - upper * 1.2, -halfW * 0.3, top - upper * 1.6, 0, top - upper);
  ctx.bezierCurveTo(halfW * 0.3, top - upper * 1.6, halfW * 0.6, top - upper * 1.2, halfW + 4, 0);
  ctx.quadraticCurveTo(0, innerTop, -halfW - 4, 0);
  ctx.closePath();
  ctx.fill();
  ctx.fillStyle = '#c0606a';
  ctx.beginPath();
  ctx.moveTo(-halfW - 4, 0);
  ctx.quadraticCurveTo(0, innerBottom, halfW + 4, 0);
  ctx.quadraticCurveTo(0, innerBottom + lower * 2, -halfW - 4, 0);
  ctx.closePath();
  ctx.fill();
  // The line where the lips meet.
  ctx.strokeStyle = '#6e2a2e';
  ctx.lineWidth = gap > 1 ? 1.5 : 2.5;
  ctx.beginPath();
  ctx.moveTo(-halfW - 3, 0);
  ctx.quadraticCurveTo(0, innerTop, halfW + 3, 0);
  ctx.stroke();
  ctx.restore();
}

/** The whole frame as the video shows it: face with the mouth closed. */
export function drawBaseFrame(ctx: Ctx, frame: number): void {
  drawFaceWithoutMouth(ctx, frame);
  drawMouth(ctx, mouthPose(frame), CLOSED);
}
