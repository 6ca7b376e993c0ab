import { expect } from '@open-wc/testing';
import { autoDelayTarget, contextToPerformance, heardAt, performanceToContext, slotHeardAt, stepDelay } from '../../src/core/clock.js';

describe('playback clock maths', () => {
  it('puts chunk k at t0 + k·40 ms + delay and inverts exactly at slot boundaries', () => {
    const t0 = 12.5;
    for (const delay of [0, 200, 333]) {
      for (const k of [0, 1, 24, 25, 499, 100_000]) {
        const t = heardAt(k, t0, delay);
        expect(slotHeardAt(t + 1e-9, t0, delay)).to.equal(k);
        expect(slotHeardAt(t + 0.039, t0, delay)).to.equal(k);
        expect(slotHeardAt(t - 0.001, t0, delay)).to.equal(k - 1);
      }
    }
    expect(slotHeardAt(0, 12.5, 200)).to.equal(-1);
  });

  it('maps context time to performance time and back', () => {
    const stamp = { contextTime: 3.2, performanceTime: 10_000 };
    expect(contextToPerformance(3.3, stamp)).to.be.closeTo(10_100, 1e-9);
    expect(performanceToContext(contextToPerformance(7.77, stamp), stamp)).to.be.closeTo(7.77, 1e-9);
  });

  it('aims the auto delay at p95 latency plus a margin, growing at once and shrinking slowly', () => {
    expect(autoDelayTarget(5, 0)).to.equal(80);
    expect(autoDelayTarget(300, 0)).to.equal(360);
    expect(autoDelayTarget(300, 40)).to.equal(400);
    expect(autoDelayTarget(10_000, 0)).to.equal(3000);
    expect(stepDelay(200, 400)).to.equal(400);
    expect(stepDelay(400, 100)).to.equal(360);
    expect(stepDelay(110, 100)).to.equal(100);
  });
});
