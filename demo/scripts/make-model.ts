/**
 * Generates the demo model from scratch (no third-party footage):
 *   demo/models/demo/video.mp4    720×1280, 25 fps, 10 s, H.264, mouth closed
 *   demo/models/demo/model.json   size, frame count, mouth pose and patch box per frame
 *   demo/models/demo/crops/*.jpg  the patch box of each frame without the mouth (bare skin), its
 *                                 border fading into the video's own decoded pixels
 * Needs ffmpeg with libx264 (Debian: apt-get install ffmpeg). Run: npm run make-model
 *
 * The crops are blended into the frames as the video decodes them (tagged BT.709, so browsers
 * and ffmpeg agree on the colours): a patch drawn on a crop meets the base frame without a step
 * at its border, as a real model's output does after its blending mask.
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
    '-vf', 'scale=out_color_matrix=bt709:out_range=tv:flags=accurate_rnd+full_chroma_int', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', 'tv',
    '-c:v', 'libx264', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-crf', '20', '-g', String(FPS), '-movflags', '+faststart',
    join(out, 'video.mp4')],
  { stdio: ['pipe', 'inherit', 'inherit'] },
);
const done = new Promise<void>((resolve, reject) => {
  ffmpeg.on('error', reject);
  ffmpeg.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}`))));
});

const mouth = [];
const skins: Uint8ClampedArray[] = [];
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
  skins.push(cropCtx.getImageData(0, 0, PATCH_WIDTH, PATCH_HEIGHT).data);
  const pose = mouthPose(i);
  mouth.push({ box, cx: +pose.cx.toFixed(2), cy: +pose.cy.toFixed(2), angle: +pose.angle.toFixed(5), width: pose.width });
}
ffmpeg.stdin.end();
await done;

/** Weight of the bare skin at (x, y): 1 inside, easing to 0 over FEATHER px at the border. */
const FEATHER = 18;
const skinWeight = (x: number, y: number) => {
  const d = Math.min(x, y, PATCH_WIDTH - 1 - x, PATCH_HEIGHT - 1 - y);
  const t = Math.min(1, Math.max(0, (d - 1) / FEATHER));
  return t * t * (3 - 2 * t);
};

// Decode the video again and blend each crop into its frame.
const decoder = spawn('ffmpeg', ['-loglevel', 'error', '-i', join(out, 'video.mp4'), '-vf', 'scale=in_color_matrix=bt709:in_range=tv:flags=accurate_rnd+full_chroma_int', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'], { stdio: ['ignore', 'pipe', 'inherit'] });
const frameBytes = WIDTH * HEIGHT * 4;
let pending = Buffer.alloc(0);
let decoded = 0;
for await (const data of decoder.stdout) {
  pending = Buffer.concat([pending, data as Buffer]);
  while (pending.length >= frameBytes && decoded < FRAMES) {
    const frame = pending.subarray(0, frameBytes);
    const [x1, y1] = mouth[decoded]!.box;
    const skin = skins[decoded]!;
    const blended = cropCtx.createImageData(PATCH_WIDTH, PATCH_HEIGHT);
    for (let y = 0; y < PATCH_HEIGHT; y++) {
      for (let x = 0; x < PATCH_WIDTH; x++) {
        const w = skinWeight(x, y);
        const s = (y * PATCH_WIDTH + x) * 4;
        const v = ((y1 + y) * WIDTH + x1 + x) * 4;
        for (let c = 0; c < 3; c++) blended.data[s + c] = Math.round(w * skin[s + c]! + (1 - w) * frame[v + c]!);
        blended.data[s + 3] = 255;
      }
    }
    cropCtx.putImageData(blended, 0, 0);
    writeFileSync(join(out, 'crops', `${String(decoded).padStart(4, '0')}.jpg`), crop.toBuffer('image/jpeg', 92));
    decoded++;
    pending = Buffer.from(pending.subarray(frameBytes));
  }
}
if (decoded !== FRAMES) throw new Error(`decoded ${decoded} of ${FRAMES} frames`);

writeFileSync(
  join(out, 'model.json'),
  JSON.stringify({ name: 'demo', width: WIDTH, height: HEIGHT, fps: FPS, frames: FRAMES, patch: { width: PATCH_WIDTH, height: PATCH_HEIGHT }, mouth }, null, 1) + '\n',
);
console.log(`wrote ${FRAMES} frames to ${out}`);
