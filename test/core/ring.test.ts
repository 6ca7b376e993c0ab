import { expect } from '@open-wc/testing';
import { SlotRing, SlotState } from '../../src/core/ring.js';
import { reconnectCap, reconnectDelay } from '../../src/core/backoff.js';
import { RecentValues, levelDb } from '../../src/core/stats.js';

const chunk = (v: number) => new Float32Array(960).fill(v);

describe('slot ring', () => {
  it('puts chunk k in slot k % size and wraps around, reporting the id it evicts', () => {
    const ring = new SlotRing(4);
    for (let id = 0; id < 4; id++) expect(ring.put(id, chunk(id / 10), -20)).to.equal(-1);
    expect(ring.captureHead).to.equal(3);
    expect(ring.put(5, chunk(0.5), -10)).to.equal(1); // slot 1 held id 1
    expect(ring.has(1)).to.equal(false);
    expect(ring.has(5)).to.equal(true);
    expect(ring.samples(5)![0]).to.be.closeTo(0.5, 1e-7);
    expect(ring.samples(1)).to.equal(undefined);
    expect(ring.state(1)).to.equal(SlotState.empty);
    expect(ring.states[1]).to.equal(SlotState.audio);
    expect(ring.level(5)).to.equal(-10);
    expect(ring.captureHead).to.equal(5);
  });

  it('tracks states per id, ignores ids it no longer holds, and lists ids in a state oldest first', () => {
    const ring = new SlotRing(8);
    for (let id = 10; id < 18; id++) ring.put(id, chunk(0), -50);
    ring.setState(11, SlotState.sent);
    ring.setState(12, SlotState.complete);
    ring.setState(13, SlotState.failed);
    expect(ring.setState(2, SlotState.sent)).to.equal(false);
    expect(ring.idsInState(SlotState.audio, 0, 17)).to.deep.equal([10, 14, 15, 16, 17]);
    expect(ring.idsInState(SlotState.audio, 15, 17)).to.deep.equal([15, 16, 17]);
    expect(ring.count(10, 17, SlotState.sent, SlotState.complete)).to.equal(2);
    ring.clear(12);
    expect(ring.state(12)).to.equal(SlotState.empty);
    expect(ring.has(12)).to.equal(false);
  });

  it('zero-fills a short chunk', () => {
    const ring = new SlotRing(2);
    ring.put(0, chunk(0.3), 0);
    ring.put(2, new Float32Array([0.1, 0.2]), 0);
    const s = ring.samples(2)!;
    expect([s[0], s[1], s[2], s[959]].map((v) => Math.round(v! * 10) / 10)).to.deep.equal([0.1, 0.2, 0, 0]);
  });
});

describe('reconnect backoff', () => {
  it('starts at the interval, doubles, caps at 30 s, with ±20 % jitter', () => {
    expect(reconnectDelay(0, 3000, reconnectCap(3000), () => 0.5)).to.equal(3000);
    expect(reconnectDelay(1, 3000, reconnectCap(3000), () => 0.5)).to.equal(6000);
    expect(reconnectDelay(10, 3000, reconnectCap(3000), () => 0.5)).to.equal(30000);
    expect(reconnectDelay(0, 3000, reconnectCap(3000), () => 0)).to.equal(2400);
    expect(reconnectDelay(0, 3000, reconnectCap(3000), () => 0.999999)).to.equal(3600);
    expect(reconnectCap(60_000)).to.equal(60_000);
    expect(reconnectDelay(1000, 100, 30_000, () => 0.5)).to.equal(30_000);
  });
});

describe('stats', () => {
  it('gives nearest-rank percentiles over a bounded window', () => {
    const v = new RecentValues(4);
    expect(v.percentile(50)).to.equal(0);
    for (const x of [5, 1, 4, 2, 3, NaN]) v.add(x);
    expect(v.size).to.equal(4); // the oldest (5) fell out; NaN is ignored
    expect(v.percentile(50)).to.equal(2);
    expect(v.percentile(95)).to.equal(4);
    // Asked again after an add: the sorted values kept between adds are not reused.
    v.add(10);
    expect(v.percentile(95)).to.equal(10);
    expect(v.percentile(50)).to.equal(3);
    for (const x of [-1, -2, -3, -4]) v.add(x);
    expect([v.percentile(0), v.percentile(100)]).to.deep.equal([-4, -1]);
  });

  it('measures RMS level in dBFS', () => {
    expect(levelDb(new Float32Array(960).fill(0.5))).to.be.closeTo(-6.02, 0.01);
    expect(levelDb(new Float32Array(960))).to.equal(-100);
  });
});
