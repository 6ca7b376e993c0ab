import { expect } from '@open-wc/testing';
import { Resampler } from '../../src/core/resampler.js';

function sine(rate: number, hz: number, seconds: number, amp = 0.5): Float32Array {
  return new Float32Array(Math.round(rate * seconds)).map((_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate));
}

/** SNR in dB of `out` against the ideal sine at the output rate, away from the edges. */
function snr(out: Float32Array, rate: number, hz: number, amp = 0.5): number {
  let signal = 0;
  let noise = 0;
  for (let i = 2000; i < out.length - 2000; i++) {
    const ideal = amp * Math.sin((2 * Math.PI * hz * i) / rate);
    signal += ideal * ideal;
    noise += (out[i]! - ideal) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

function streamed(r: Resampler, input: Float32Array, block: number): Float32Array {
  const parts: Float32Array[] = [];
  for (let p = 0; p < input.length; p += block) parts.push(r.process(input.subarray(p, p + block)));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('resampler', () => {
  for (const inRate of [48_000, 44_100, 16_000, 22_050]) {
    it(`turns a 1 kHz sine at ${inRate} Hz into 24 kHz with SNR ≥ 60 dB, in 128-sample blocks`, () => {
      const out = streamed(new Resampler(inRate, 24_000), sine(inRate, 1000, 1), 128);
      expect(Math.abs(out.length - 24_000)).to.be.below(40);
      expect(snr(out, 24_000, 1000)).to.be.at.least(60);
    });
  }

  it('rejects content above the output Nyquist instead of folding it back (15 kHz at 48 kHz → −60 dB)', () => {
    const out = streamed(new Resampler(48_000, 24_000), sine(48_000, 15_000, 1), 128);
    let sum = 0;
    for (let i = 2000; i < out.length - 2000; i++) sum += out[i]! ** 2;
    const rmsDb = 10 * Math.log10(sum / (out.length - 4000));
    // The input sits at 20·log10(0.5/√2) ≈ −9 dB.
    expect(rmsDb).to.be.below(-60);
  });

  it('gives the same output whatever the block size', () => {
    const input = sine(44_100, 440, 0.5);
    const a = streamed(new Resampler(44_100, 24_000), input, 128);
    const b = streamed(new Resampler(44_100, 24_000), input, 1000);
    expect(a.length).to.equal(b.length);
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
    expect(max).to.be.below(1e-6);
  });

  it('is self-contained, so the worklet can embed it by its source text', () => {
    const Rebuilt = new Function(`return (${Resampler.toString()});`)() as typeof Resampler;
    const out = streamed(new Rebuilt(48_000, 24_000), sine(48_000, 1000, 0.5), 128);
    expect(snr(out, 24_000, 1000)).to.be.at.least(60);
  });
});
