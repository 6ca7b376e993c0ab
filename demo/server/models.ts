/** Loads model folders: `video.mp4`, `model.json` (mouth pose and box per frame), `crops/NNNN.jpg`. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadImage, type Image } from '@napi-rs/canvas';
import type { MouthPose } from '../avatar/face.js';

export interface ModelFrame extends MouthPose {
  box: [number, number, number, number];
}

export interface Model {
  name: string;
  width: number;
  height: number;
  frames: number;
  patchWidth: number;
  patchHeight: number;
  mouth: ModelFrame[];
  crops: Image[];
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export async function loadModel(dir: string, name: string): Promise<Model> {
  const meta = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  check(Number.isInteger(meta.width) && Number.isInteger(meta.height), `${name}: model.json needs width and height`);
  check(Number.isInteger(meta.frames) && meta.frames > 0, `${name}: model.json needs frames`);
  check(Array.isArray(meta.mouth) && meta.mouth.length === meta.frames, `${name}: model.json needs one mouth entry per frame`);
  const mouth: ModelFrame[] = meta.mouth.map((m: ModelFrame, i: number) => {
    const [x1, y1, x2, y2] = m.box;
    check([x1, y1, x2, y2, m.cx, m.cy, m.angle, m.width].every(Number.isFinite), `${name}: mouth ${i} is not numbers`);
    check(x1 >= 0 && y1 >= 0 && x2 <= meta.width && y2 <= meta.height && x1 < x2 && y1 < y2, `${name}: box ${i} is outside the frame`);
    return m;
  });
  const crops = await Promise.all(
    mouth.map((_, i) => loadImage(readFileSync(join(dir, 'crops', `${String(i).padStart(4, '0')}.jpg`)))),
  );
  return { name, width: meta.width, height: meta.height, frames: meta.frames, patchWidth: meta.patch.width, patchHeight: meta.patch.height, mouth, crops };
}

/** Every folder of `root` with a model.json. */
export async function loadModels(root: string): Promise<Map<string, Model>> {
  const models = new Map<string, Model>();
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || !existsSync(join(root, entry.name, 'model.json'))) continue;
    models.set(entry.name, await loadModel(join(root, entry.name), entry.name));
  }
  return models;
}
