import { expect } from '@open-wc/testing';
import { Schedule } from '../../src/core/schedule.js';

describe('Schedule (when each slot plays, as the playout decided and the network Worker is told)', () => {
  it('answers the slot at the speaker and whether it still sounds', () => {
    const s = new Schedule();
    expect(s.speakerAt(0)).to.deep.equal({ slot: -1, sounding: false });
    s.record(0, 1000, 40);
    s.record(1, 1040, 40);
    // Slot 2 passed over (silence removed), slot 3 after inserted silence, accelerated.
    s.record(2, -Infinity, 0);
    s.record(3, 1100, 38.8);
    expect(s.speakerAt(999)).to.deep.equal({ slot: -1, sounding: false });
    expect(s.speakerAt(1000)).to.deep.equal({ slot: 0, sounding: true });
    expect(s.speakerAt(1079.9)).to.deep.equal({ slot: 1, sounding: true });
    expect(s.speakerAt(1090), 'in the inserted silence').to.deep.equal({ slot: 1, sounding: false });
    expect(s.speakerAt(1138), 'accelerated: it ends sooner').to.deep.equal({ slot: 3, sounding: true });
    expect(s.speakerAt(1139)).to.deep.equal({ slot: 3, sounding: false });
    expect(s.playAt(2)).to.equal(-Infinity);
    expect(s.playAt(4)).to.be.NaN;
    expect(s.last).to.equal(3);
  });

  it('hands over what it recorded since the last take(), and another schedule built from that answers the same', () => {
    const s = new Schedule();
    const copy = new Schedule();
    for (let id = 0; id < 600; id++) {
      s.record(id, id % 7 === 3 ? -Infinity : 500 + id * 40, 40);
      if (id % 5 === 0) copy.add(s.take());
    }
    copy.add(s.take());
    expect(s.take()).to.deep.equal([]);
    for (let t = 500; t < 500 + 600 * 40; t += 13) expect(copy.speakerAt(t), `at ${t}`).to.deep.equal(s.speakerAt(t));
  });

  it('forgets dropped slots (NaN: an interruption)', () => {
    const s = new Schedule();
    for (let id = 0; id < 10; id++) s.record(id, id * 40, 40);
    for (let id = 6; id < 10; id++) s.record(id, NaN, 0);
    expect(s.last).to.equal(9);
    expect(s.speakerAt(300), 'slot 5 is the last one that plays').to.deep.equal({ slot: 5, sounding: false });
    // The next speech: ids go on.
    s.record(10, 400, 40);
    expect(s.speakerAt(410)).to.deep.equal({ slot: 10, sounding: true });
    expect(s.take().slice(-3)).to.deep.equal([10, 400, 40]);
  });

  it('keeps 256 slots: older ones are no longer known', () => {
    const s = new Schedule();
    for (let id = 0; id < 300; id++) s.record(id, id * 40, 40);
    expect(s.playAt(299)).to.equal(299 * 40);
    expect(s.playAt(43), 'overwritten by 299').to.be.NaN;
    expect(s.playAt(44)).to.equal(44 * 40);
  });
});
