import { LipsyncError, reason } from '../core/errors.js';
import type { InputMode } from '../core/config.js';
import { WORKLET_FILE, WORKLET_NAME, workletUrls, type WorkletCommand, type WorkletMessage } from './capture-worklet.js';

export interface CaptureOptions {
  context: AudioContext;
  input: Exclude<InputMode, 'push'>;
  audioSrc: string | null;
  srcObject: MediaStream | null;
  /** Same-origin worklet URL for strict CSP pages; the inline Blob URL otherwise. */
  workletUrl?: string | null;
  onChunk(message: Extract<WorkletMessage, { type: 'chunk' }>): void;
  /** A file input reached its end (its last partial chunk has been delivered). */
  onEnded(): void;
}

export const MIC_CONSTRAINTS: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
  channelCount: 1,
};

const loadedContexts = new WeakSet<BaseAudioContext>();

/** Maps getUserMedia's failures onto the public codes. */
export function micError(err: unknown): LipsyncError {
  const name = err instanceof DOMException ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return new LipsyncError('mic-denied', `microphone access was denied (${name})`, false);
  }
  return new LipsyncError('mic-unavailable', `no usable microphone (${name || String(err)})`, false);
}

/**
 * One running capture: a source (microphone, file, stream) feeding the worklet, which posts
 * 960-sample chunks at 24 kHz. `stop()` releases everything it made (tracks it opened, nodes).
 */
export class AudioCapture {
  readonly #nodes: AudioNode[] = [];
  readonly #ownedTracks: MediaStreamTrack[] = [];
  #worklet: AudioWorkletNode | undefined;
  #stopped = false;

  private constructor() {}

  static async open(o: CaptureOptions): Promise<AudioCapture> {
    const capture = new AudioCapture();
    try {
      await capture.#start(o);
    } catch (err) {
      capture.stop();
      throw err;
    }
    return capture;
  }

  async #start(o: CaptureOptions): Promise<void> {
    const ctx = o.context;
    // Obtain the input first: a denied microphone should not cost a worklet load.
    let source: AudioNode;
    let fileSource: AudioBufferSourceNode | undefined;
    if (o.input === 'mic') {
      if (!navigator.mediaDevices?.getUserMedia) throw new LipsyncError('mic-unavailable', 'no mediaDevices (insecure context?)', false);
      let stream: MediaStream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: MIC_CONSTRAINTS });
      } catch (err) {
        throw micError(err);
      }
      this.#ownedTracks.push(...stream.getTracks());
      if (this.#stopped) throw new LipsyncError('mic-unavailable', 'stopped while opening the microphone');
      source = ctx.createMediaStreamSource(stream);
    } else if (o.input === 'stream') {
      const stream = o.srcObject;
      if (!stream || stream.getAudioTracks().length === 0) {
        throw new LipsyncError('mic-unavailable', 'input="stream" needs srcObject, a MediaStream with an audio track', false);
      }
      source = ctx.createMediaStreamSource(stream);
    } else {
      if (!o.audioSrc) throw new LipsyncError('audio-load-failed', 'input="file" needs audio-src', false);
      let buffer: AudioBuffer;
      try {
        const response = await fetch(o.audioSrc);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        buffer = await ctx.decodeAudioData(await response.arrayBuffer());
      } catch (err) {
        throw new LipsyncError('audio-load-failed', `audio file ${o.audioSrc} could not be loaded: ${reason(err)}`, false);
      }
      fileSource = ctx.createBufferSource();
      fileSource.buffer = buffer;
      source = fileSource;
    }
    this.#nodes.push(source);

    if (!loadedContexts.has(ctx)) {
      // Inline first; where the page's CSP forbids blob: scripts, the file next to the bundle.
      const failures: string[] = [];
      for (const url of workletUrls(o.workletUrl)) {
        try {
          await ctx.audioWorklet.addModule(url);
          loadedContexts.add(ctx);
          break;
        } catch (err) {
          failures.push(`${url.startsWith('blob:') ? 'inline' : url}: ${reason(err)}`);
        }
      }
      if (!loadedContexts.has(ctx)) {
        throw new LipsyncError(
          'mic-unavailable',
          `the capture worklet did not load (${failures.join('; ')}); under a Content-Security-Policy without blob: serve ${WORKLET_FILE} next to the bundle or set LipsyncSessionElement.workletUrl`,
          false,
          'worklet-blocked',
        );
      }
    }
    const worklet = new AudioWorkletNode(ctx, WORKLET_NAME, { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
    this.#worklet = worklet;
    worklet.port.onmessage = (e: MessageEvent<WorkletMessage>) => {
      if (this.#stopped) return;
      if (e.data.type === 'chunk') o.onChunk(e.data);
      else o.onEnded();
    };
    // The worklet's output is silent and goes nowhere audible; being connected keeps it pulled.
    const sink = ctx.createGain();
    sink.gain.value = 0;
    source.connect(worklet);
    worklet.connect(sink);
    sink.connect(ctx.destination);
    this.#nodes.push(worklet, sink);
    if (fileSource) {
      fileSource.onended = () => this.#post({ type: 'flush' });
      fileSource.start();
    }
  }

  #post(command: WorkletCommand): void {
    this.#worklet?.port.postMessage(command);
  }

  /** From now on the worklet posts its chunks to `port` (the network Worker) instead of `onChunk`. */
  sendTo(port: MessagePort): void {
    this.#worklet?.port.postMessage({ type: 'port', port } satisfies WorkletCommand, [port]);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#post({ type: 'stop' });
    for (const node of this.#nodes) {
      if (node instanceof AudioBufferSourceNode) {
        node.onended = null;
        try {
          node.stop();
        } catch {
          // never started
        }
      }
      node.disconnect();
    }
    if (this.#worklet) this.#worklet.port.onmessage = null;
    for (const track of this.#ownedTracks) track.stop();
    this.#nodes.length = 0;
    this.#ownedTracks.length = 0;
  }
}
