/**
 * A streaming band-limited resampler (windowed sinc, Blackman window, linear interpolation in
 * a finely sampled kernel table). Downsampling low-passes at 0.9 × the output Nyquist, so no
 * content above it folds back.
 *
 * Written to be self-contained: the capture worklet embeds this class by its source text, so it
 * refers to nothing outside itself (no imports, no module constants, no `#private` fields).
 */
export class Resampler {
  readonly inRate: number;
  readonly outRate: number;
  private readonly step: number;
  private readonly halfWidth: number;
  private readonly table: Float32Array;
  private readonly tableScale: number;
  private history: Float32Array;
  /** Position of the next output sample, in input samples from the start of `history`. */
  private position: number;

  constructor(inRate: number, outRate: number, zeroCrossings = 16) {
    if (!(inRate > 0 && outRate > 0)) throw new RangeError(`rates ${inRate} → ${outRate}`);
    this.inRate = inRate;
    this.outRate = outRate;
    this.step = inRate / outRate;
    // Cut-off relative to the input rate's Nyquist: below the lower of the two Nyquists.
    const cutoff = Math.min(1, outRate / inRate) * 0.9;
    this.halfWidth = Math.ceil(zeroCrossings / cutoff);
    const resolution = 256;
    this.tableScale = resolution;
    const n = this.halfWidth * resolution + 2;
    this.table = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = i / resolution;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * cutoff * x) / (Math.PI * cutoff * x);
      const w = x >= this.halfWidth ? 0 : 0.42 + 0.5 * Math.cos((Math.PI * x) / this.halfWidth) + 0.08 * Math.cos((2 * Math.PI * x) / this.halfWidth);
      this.table[i] = cutoff * sinc * w;
    }
    // Start with half a kernel of silence, so output sample 0 lines up with input sample 0.
    this.history = new Float32Array(this.halfWidth);
    this.position = this.halfWidth;
  }

  /** Feeds `input` and returns every output sample that can be computed so far (output n is input time n·inRate/outRate). */
  process(input: Float32Array): Float32Array {
    if (this.step === 1) return input.slice();
    const buffer = new Float32Array(this.history.length + input.length);
    buffer.set(this.history, 0);
    buffer.set(input, this.history.length);
    const hw = this.halfWidth;
    const table = this.table;
    const scale = this.tableScale;
    // Output o needs input up to floor(position + o·step) + halfWidth.
    const count = Math.max(0, Math.ceil((buffer.length - hw - this.position) / this.step));
    const out = new Float32Array(count);
    let pos = this.position;
    for (let o = 0; o < count; o++) {
      const center = Math.floor(pos);
      const frac = pos - center;
      let sum = 0;
      for (let k = -hw + 1; k <= hw; k++) {
        const i = center + k;
        if (i < 0 || i >= buffer.length) continue;
        const d = Math.abs(k - frac) * scale;
        const j = Math.floor(d);
        if (j + 1 >= table.length) continue;
        const t = d - j;
        sum += buffer[i]! * (table[j]! + (table[j + 1]! - table[j]!) * t);
      }
      out[o] = sum;
      pos += this.step;
    }
    // Keep what the next call still needs: everything from the kernel's left edge on.
    const keepFrom = Math.max(0, Math.floor(pos) - hw);
    this.history = buffer.slice(keepFrom);
    this.position = pos - keepFrom;
    return out;
  }
}
