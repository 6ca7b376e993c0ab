/**
 * Audio → lip shape, per connection. Visemes come from HeadAudio's MFCC features and its
 * pretrained Gaussian-prototype classifier (@met4citizen/headaudio, MIT), run here in Node on
 * the 24 kHz chunks in the order they arrive; loudness scales how far the mouth opens.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
// The package ships plain ES modules without types or an exports map.
// @ts-expect-error no declaration file
import { Processor } from '@met4citizen/headaudio/modules/processor.mjs';
// @ts-expect-error no declaration file
import { Training } from '@met4citizen/headaudio/modules/training.mjs';
import type { MouthShape } from '../avatar/face.js';
import { levelDb } from '../../src/core/stats.js';

/** Oculus viseme ids, as HeadAudio numbers them, to lip shapes. */
const VISEME_SHAPES: readonly MouthShape[] = [
  { open: 1.0, wide: 0.6, round: 0 }, // 0 aa
  { open: 0.6, wide: 0.8, round: 0 }, // 1 E
  { open: 0.35, wide: 1.0, round: 0 }, // 2 I
  { open: 0.7, wide: 0.4, round: 0.8 }, // 3 O
  { open: 0.35, wide: 0.3, round: 1.0 }, // 4 U
  { open: 0.0, wide: 0.5, round: 0 }, // 5 PP
  { open: 0.15, wide: 0.9, round: 0 }, // 6 SS
  { open: 0.25, wide: 0.7, round: 0 }, // 7 TH
  { open: 0.3, wide: 0.7, round: 0 }, // 8 DD
  { open: 0.1, wide: 0.7, round: 0 }, // 9 FF
  { open: 0.4, wide: 0.65, round: 0 }, // 10 kk
  { open: 0.25, wide: 0.65, round: 0 }, // 11 nn
  { open: 0.3, wide: 0.5, round: 0.5 }, // 12 RR
  { open: 0.3, wide: 0.5, round: 0.6 }, // 13 CH
  { open: 0.0, wide: 0.5, round: 0 }, // 14 sil
];
export const SILENCE: MouthShape = VISEME_SHAPES[14]!;
const SIL = 14;
/** Below this RMS level a chunk is silence, whatever the classifier says. */
const SILENCE_DB = -50;
/** Results kept per connection, so a retried id gets the same answer. */
const MEMORY = 1000;

interface HeadAudioPrototype {
  viseme: number;
}

let model: HeadAudioPrototype[] | undefined;

/** Loads the classifier's prototypes once per process (14 KB, shipped in the package). */
export async function loadVisemeModel(): Promise<void> {
  if (model) return;
  const require = createRequire(import.meta.url);
  const bin = readFileSync(require.resolve('@met4citizen/headaudio/dist/model-en-mixed.bin'));
  const buffer = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  // Training.loadModel fetches a URL; hand it the bytes through a data: URL instead.
  const training = new Training();
  const url = `data:application/octet-stream;base64,${Buffer.from(buffer).toString('base64')}`;
  model = (await training.loadModel(url)).model as HeadAudioPrototype[];
}

export interface ChunkAnalysis {
  /** The lip shape this chunk's sound asks for on its own. */
  target: MouthShape;
  viseme: number;
  levelDb: number;
}

const SILENT_CHUNK: ChunkAnalysis = { target: SILENCE, viseme: SIL, levelDb: -100 };

/**
 * Audio → lip shapes for one connection, like a look-ahead lip-sync model: every chunk is
 * analysed once, in the order it arrives (HeadAudio's MFCC state runs on), and the mouth of
 * frame k is drawn from the chunks *around* k (k−before … k+after): mostly k's own sound, with
 * the neighbours shaping the transition (coarticulation). Chunks never received are silence.
 */
export class MouthTracker {
  readonly #events: Array<{ event: string; viseme?: number }> = [];
  readonly #processor: { process(data: Float32Array): void; classifier: { import(data: unknown): void } };
  readonly #chunks = new Map<number, ChunkAnalysis>();

  constructor() {
    if (!model) throw new Error('loadVisemeModel() first');
    this.#processor = new Processor({ sampleRate: 24000, processorOptions: {} }, { port: { postMessage: (m: { event: string; viseme?: number }) => this.#events.push(m) } });
    this.#processor.classifier.import({ model });
  }

  /** Analyses chunk `frameId` (once: a chunk sent again keeps its first analysis). */
  add(frameId: number, samples: Float32Array): ChunkAnalysis {
    const known = this.#chunks.get(frameId);
    if (known) return known;
    this.#events.length = 0;
    this.#processor.process(samples);
    const counts = new Map<number, number>();
    for (const e of this.#events) if (e.event === 'viseme' && e.viseme !== undefined) counts.set(e.viseme, (counts.get(e.viseme) ?? 0) + 1);
    let viseme = SIL;
    let best = 0;
    for (const [v, n] of counts) if (n > best) [viseme, best] = [v, n];
    const level = levelDb(samples);
    let target: MouthShape;
    if (level < SILENCE_DB) {
      viseme = SIL;
      target = SILENCE;
    } else {
      // Loud sound the classifier calls silence still opens the mouth (a mid vowel); loudness
      // decides how far, from half open on quiet speech to the viseme's full opening.
      const base = viseme === SIL ? (level > -35 ? VISEME_SHAPES[1]! : VISEME_SHAPES[11]!) : VISEME_SHAPES[viseme]!;
      const loudness = Math.min(1, Math.max(0, (level + 45) / 20));
      target = { open: Math.min(1, base.open * (0.5 + 0.8 * loudness) + 0.15 * loudness), wide: base.wide, round: base.round };
    }
    const result = { target, viseme, levelDb: level };
    this.#chunks.set(frameId, result);
    // Bounded: chunks far behind the newest are no longer anybody's neighbours.
    if (this.#chunks.size > MEMORY) this.#chunks.delete(this.#chunks.keys().next().value!);
    return result;
  }

  analysis(frameId: number): ChunkAnalysis {
    return this.#chunks.get(frameId) ?? SILENT_CHUNK;
  }

  /**
   * The mouth of frame `frameId`: its own chunk's shape weighted 0.7, its neighbours within
   * `before`/`after` chunks the rest, nearer ones more (1/distance). A pure function of the
   * analyses in the window, so the same audio gives the same frame, retried or not.
   */
  shape(frameId: number, before: number, after: number): MouthShape {
    const own = this.analysis(frameId).target;
    let open = 0;
    let wide = 0;
    let round = 0;
    let weights = 0;
    for (let d = -before; d <= after; d++) {
      if (d === 0) continue;
      const w = 1 / Math.abs(d);
      const t = this.analysis(frameId + d).target;
      open += w * t.open;
      wide += w * t.wide;
      round += w * t.round;
      weights += w;
    }
    if (weights === 0) return own;
    const mix = (a: number, b: number) => 0.7 * a + (0.3 * b) / weights;
    return { open: mix(own.open, open), wide: mix(own.wide, wide), round: mix(own.round, round) };
  }
}
