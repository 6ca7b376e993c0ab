import { expect } from '@open-wc/testing';
import { contextToPerformance, performanceToContext } from '../../src/core/clock.js';

describe('playback clock maths', () => {
  it('maps context time to performance time and back', () => {
    const stamp = { contextTime: 3.2, performanceTime: 10_000 };
    expect(contextToPerformance(3.3, stamp)).to.be.closeTo(10_100, 1e-9);
    expect(performanceToContext(contextToPerformance(7.77, stamp), stamp)).to.be.closeTo(7.77, 1e-9);
  });
});
