/**
 * Generates the demo model from scratch (no third-party footage):
 *   demo/models/demo/video.mp4    720×1280, 25 fps, 10 s, H.264, mouth closed
 *   demo/models/demo/model.json   size, frame count, mouth pose and patch box per frame
 *   demo/models/demo/crops/*.jpg  the patch box of each frame without the mouth (bare skin)
 * Needs ffmpeg with libx264 (Debian: apt-get install ffmpeg). Run: npm run make-model
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import { FPS, HEIGHT, PATCH_HEIGHT, PATCH_WIDTH, WIDTH, drawBaseFrame, drawFaceWithoutMouth, mouthBox, mouthPose } from '../avatar/face.js';

const FRAMES = 250;
const out = join(process.argv[2] ?? 'demo/models/demo');
rmSync(join(out, 'crops'), { recursive: true, force: true });
mkdirSync(join(out, 'crops'), { recursive: true });

type Ctx = CanvasRenderingContext2D;
const frame = createCanvas(WIDTH, HEIGHT);
const frameCtx = frame.getContext('2d') as unknown as Ctx;
const crop = createCanvas(PATCH_WIDTH, PATCH_HEIGHT);
const cropCtx = crop.getContext('2d') as unknown as Ctx;

const ffmpeg = spawn(
  'ffmpeg',
  ['-y', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${WIDTH}x${HEIGHT}`, '-r', String(FPS), '-i', '-',
    '-c:v', 'libx264', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-crf', '20', '-g', String(FPS), '-movflags', '+faststart',
    join(out, 'video.mp4')],
  { stdio: ['pipe', 'inherit', 'inherit'] },
);
const done = new Promise<void>((resolve, reject) => {
  ffmpeg.on('error', reject);
  ffmpeg.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}`))));
});

const mouth = [];
for (let i = 0; i < FRAMES; i++) {
  drawBaseFrame(frameCtx, i);
  const rgba = frameCtx.getImageData(0, 0, WIDTH, HEIGHT).data;
  if (!ffmpeg.stdin.write(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength))) {
    await new Promise((r) => ffmpeg.stdin.once('drain', r));
  }
  const box = mouthBox(i);
  cropCtx.save();
  cropCtx.translate(-box[0], -box[1]);
  drawFaceWithoutMouth(cropCtx, i);
  cropCtx.restore();
  writeFileSync(join(out, 'crops', `${String(i).padStart(4, '0')}.jpg`), crop.toBuffer('image/jpeg', 92));
  const pose = mouthPose(i);
  mouth.push({ box, cx: +pose.cx.toFixed(2), cy: +pose.cy.toFixed(2), angle: +pose.angle.toFixed(5), width: pose.width });
}
ffmpeg.stdin.end();
await done;

writeFileSync(
  join(out, 'model.json'),
  JSON.stringify({ name: 'demo', width: WIDTH, height: HEIGHT, fps: FPS, frames: FRAMES, patch: { width: PATCH_WIDTH, height: PATCH_HEIGHT }, mouth }, null, 1) + '\n',
);
console.log(`wrote ${FRAMES} frames to ${out}`);
