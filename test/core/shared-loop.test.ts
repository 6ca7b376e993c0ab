import { expect } from '@open-wc/testing';
import { SharedLoop } from '../../src/core/shared-loop.js';
import { animationFrames } from '../../src/elements/frame-loop.js';

/** A scheduler driven by hand: `round(arg)` is one round; counts starts and stops. */
function manual() {
  const s = { starts: 0, stops: 0, run: undefined as ((arg: number) => void) | undefined };
  const loop = new SharedLoop<number>((run) => {
    s.starts++;
    s.run = run;
    return () => {
      s.stops++;
      s.run = undefined;
    };
  });
  return { s, loop, round: (arg: number) => s.run?.(arg) };
}

describe('SharedLoop: many callbacks, one scheduler', () => {
  it('starts one scheduler for every callback and calls each once a round, with its argument', () => {
    const { s, loop, round } = manual();
    const seen: string[] = [];
    const a = (n: number) => seen.push(`a${n}`);
    const b = (n: number) => seen.push(`b${n}`);
    loop.add(a);
    loop.add(b);
    loop.add(a);
    expect(s.starts).to.equal(1);
    expect(loop.size).to.equal(2);
    round(1);
    round(2);
    expect(seen).to.deep.equal(['a1', 'b1', 'a2', 'b2']);
  });

  it('stops the scheduler with its last callback and starts it again with the next', () => {
    const { s, loop, round } = manual();
    const seen: number[] = [];
    const a = (n: number) => seen.push(n);
    const b = () => {};
    loop.add(a);
    loop.add(b);
    loop.delete(a);
    expect(s.stops).to.equal(0);
    round(1);
    expect(seen).to.deep.equal([]);
    loop.delete(b);
    loop.delete(b);
    expect([s.starts, s.stops, loop.size]).to.deep.equal([1, 1, 0]);
    loop.add(a);
    expect(s.starts).to.equal(2);
    round(3);
    expect(seen).to.deep.equal([3]);
  });

  it('a callback that throws does not stop the others; its error is reported as uncaught', async () => {
    const { loop, round } = manual();
    const seen: number[] = [];
    const reported: string[] = [];
    loop.add(() => {
      throw new Error('view failed');
    });
    loop.add((n) => seen.push(n));
    const saved = window.onerror;
    window.onerror = (message) => (reported.push(String(message)), true);
    try {
      round(7);
      round(8);
      await new Promise((r) => setTimeout(r, 0));
    } finally {
      window.onerror = saved;
    }
    expect(seen).to.deep.equal([7, 8]);
    expect(reported).to.have.length(2);
    expect(reported[0]).to.contain('view failed');
  });

  it('drives the page\'s animation frames: every view draws in every frame, with its time', async () => {
    const times: number[][] = [[], [], []];
    const calls = times.map((t) => (now: number) => t.push(now));
    calls.forEach((c) => animationFrames.add(c));
    await new Promise((r) => setTimeout(r, 200));
    calls.forEach((c) => animationFrames.delete(c));
    const after = times[0]!.length;
    await new Promise((r) => setTimeout(r, 100));
    // Stopped with the last one; every view drew in every round, with that round's time.
    expect(times[0]!.length).to.equal(after);
    expect(after).to.be.greaterThan(2);
    expect(times[1]).to.deep.equal(times[0]);
    expect(times[2]).to.deep.equal(times[0]);
    expect(new Set(times[0]).size).to.equal(after);
  });
});
