import { Resampler } from '../core/resampler.js';
import { scriptUrls } from './script-urls.js';

/** Messages the capture worklet posts to the main thread. */
export type WorkletMessage =
  | {
      type: 'chunk';
      /** Chunk index on the session timeline: samples [index·960, (index+1)·960). */
      index: number;
      samples: Float32Array;
      /** Context time (s) just after the chunk's last sample was captured. */
      endTime: number;
      /** Context time (s) of the first sample of chunk 0. */
      startTime: number;
    }
  | { type: 'flushed'; index: number };

/**
 * Messages the main thread posts to the worklet. `port`: post chunks there from now on (the
 * session's network Worker), not to the main thread.
 */
export type WorkletCommand = { type: 'flush' } | { type: 'stop' } | { type: 'port'; port: MessagePort };

export const WORKLET_NAME = 'lipsync-capture';

/**
 * The processor, as a function whose source text becomes the worklet module (it runs in the
 * AudioWorkletGlobalScope, so it refers only to its parameters and that scope's globals).
 * It mixes to mono, resamples to 24 kHz when the context runs at another rate, and posts each
 * 960-sample chunk, transferring its buffer.
 */
function workletMain(ResamplerClass: typeof Resampler, name: string): void {
  const CHUNK = 960;
  const RATE = 24000;
  interface Scope {
    AudioWorkletProcessor: new () => { port: MessagePort };
    registerProcessor(name: string, ctor: unknown): void;
    sampleRate: number;
    currentTime: number;
    currentFrame: number;
  }
  const scope = globalThis as unknown as Scope;
  class Capture extends scope.AudioWorkletProcessor {
    resampler: Resampler | null = scope.sampleRate === RATE ? null : new ResamplerClass(scope.sampleRate, RATE);
    chunk = new Float32Array(CHUNK);
    fill = 0;
    index = 0;
    startTime = -1;
    running = true;
    out: MessagePort;

    constructor() {
      super();
      this.out = this.port;
      this.port.onmessage = (e: MessageEvent<WorkletCommand>) => {
        if (e.data.type === 'stop') this.running = false;
        else if (e.data.type === 'port') this.out = e.data.port;
        else if (e.data.type === 'flush') {
          if (this.fill > 0) {
            this.chunk.fill(0, this.fill);
            this.emit(scope.currentTime);
          }
          this.out.postMessage({ type: 'flushed', index: this.index });
        }
      };
    }

    emit(endTime: number): void {
      const samples = this.chunk;
      this.out.postMessage({ type: 'chunk', index: this.index, samples, endTime, startTime: this.startTime }, [samples.buffer]);
      this.index++;
      this.chunk = new Float32Array(CHUNK);
      this.fill = 0;
    }

    process(inputs: Float32Array[][]): boolean {
      const channels = inputs[0];
      if (!channels || channels.length === 0) return this.running;
      const frames = channels[0]!.length;
      let mono = channels[0]!;
      if (channels.length > 1) {
        mono = new Float32Array(frames);
        for (const ch of channels) for (let i = 0; i < frames; i++) mono[i]! += ch[i]! / channels.length;
      }
      if (this.startTime < 0) this.startTime = scope.currentFrame / scope.sampleRate;
      const samples = this.resampler ? this.resampler.process(mono) : mono;
      const blockEnd = (scope.currentFrame + frames) / scope.sampleRate;
      for (let i = 0; i < samples.length; i++) {
        this.chunk[this.fill++] = samples[i]!;
        if (this.fill === CHUNK) this.emit(blockEnd);
      }
      return this.running;
    }
  }
  scope.registerProcessor(name, Capture);
}

/** The worklet module's source: the resampler class and the processor, nothing else. */
export function workletSource(): string {
  return `(${workletMain.toString()})((${Resampler.toString()}), ${JSON.stringify(WORKLET_NAME)});`;
}

/** The worklet as a file shipped next to the bundle (`dist/`), for a CSP that forbids blob: scripts. */
export const WORKLET_FILE = 'lipsync-capture-worklet.js';

/** Where to load the worklet from, in order (see `scriptUrls`). */
export function workletUrls(override?: string | null): string[] {
  return scriptUrls(WORKLET_FILE, workletSource, override);
}
