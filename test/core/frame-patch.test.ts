import { expect } from '@open-wc/testing';
import { zipSync } from 'fflate';
import { ProtocolError } from '../../src/core/errors.js';
import { placePatch, readFramePatch } from '../../src/core/frame-patch.js';
import { writeFramePatch } from '../../src/core/frame-patch-writer.js';
import { readImageInfo } from '../../src/core/image-info.js';
import { readZip } from '../../src/core/zip.js';
import { boxBytes, buildZip, makeImage } from '../helpers/zip-writer.js';

async function reasonOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ProtocolError);
    return (err as ProtocolError).reason;
  }
  throw new Error('expected a ProtocolError, nothing was thrown');
}

const BOX = [300, 700, 420, 780] as const;

describe('image header reader', () => {
  for (const type of ['image/jpeg', 'image/png', 'image/webp']) {
    it(`reads the size of a real ${type}`, async () => {
      const bytes = await makeImage(123, 45, type);
      expect(readImageInfo(bytes)).to.deep.equal({ type, width: 123, height: 45 });
    });
  }

  it('rejects non-images, truncated headers and giant sizes before decoding', async () => {
    expect(await reasonOf(() => readImageInfo(new Uint8Array([1, 2, 3, 4])))).to.equal('bad-image');
    const jpeg = await makeImage(64, 64);
    expect(await reasonOf(() => readImageInfo(jpeg.subarray(0, 20)))).to.equal('bad-image');
    const png = await makeImage(64, 64, 'image/png');
    const huge = png.slice();
    new DataView(huge.buffer).setUint32(16, 100_000);
    expect(await reasonOf(() => readImageInfo(huge))).to.equal('too-large');
  });
});

describe('response ZIP reader', () => {
  let jpeg: Uint8Array;
  before(async () => {
    jpeg = await makeImage(120, 80);
  });

  it('reads what the server writer writes', async () => {
    const patch = await readFramePatch(writeFramePatch(jpeg, BOX));
    expect(patch.box).to.deep.equal([...BOX]);
    expect(patch.info).to.deep.equal({ type: 'image/jpeg', width: 120, height: 80 });
    expect(patch.image.length).to.equal(jpeg.length);
  });

  it('accepts stored and deflated entries, data descriptors, comments and directories', async () => {
    const variants = [
      buildZip([{ name: 'frame.jpg', data: jpeg }, { name: 'bbox.bin', data: boxBytes(BOX) }]),
      buildZip([{ name: 'frame.jpg', data: jpeg, deflate: true }, { name: 'bbox.bin', data: boxBytes(BOX), deflate: true }]),
      buildZip([
        { name: 'out/', data: new Uint8Array(0) },
        { name: 'out/frame.jpg', data: jpeg, deflate: true, descriptor: true },
        { name: 'out/bbox.bin', data: boxBytes(BOX), descriptor: true },
      ], { comment: 'made by a test; PK\x05\x06 inside a comment is fine' }),
      zipSync({ 'a.jpg': [jpeg, { level: 9 }], 'b.bin': boxBytes(BOX) }),
    ];
    for (const zip of variants) {
      const patch = await readFramePatch(zip);
      expect(patch.box).to.deep.equal([...BOX]);
      expect(Array.from(patch.image)).to.deep.equal(Array.from(jpeg));
    }
  });

  it('finds entries by content: any names, any order, extra entries ignored', async () => {
    const zip = buildZip([
      { name: 'readme.txt', data: new TextEncoder().encode('this is not the box, it is longer') },
      { name: 'z', data: boxBytes(BOX) },
      { name: 'notes.json', data: new TextEncoder().encode('{}') },
      { name: 'image.dat', data: jpeg, deflate: true },
    ]);
    const patch = await readFramePatch(zip);
    expect(patch.box).to.deep.equal([...BOX]);
    expect(patch.info.type).to.equal('image/jpeg');
  });

  it('accepts PNG and WebP images', async () => {
    for (const type of ['image/png', 'image/webp']) {
      const img = await makeImage(30, 20, type);
      expect((await readFramePatch(writeFramePatch(img, BOX, 'x'))).info).to.deep.equal({ type, width: 30, height: 20 });
    }
  });

  it('rejects every malformed archive with its reason', async () => {
    const entries = () => [{ name: 'f.jpg', data: jpeg }, { name: 'b.bin', data: boxBytes(BOX) }];
    const cases: Array<[string, Uint8Array]> = [
      ['zip-corrupt', new Uint8Array(10)],
      ['zip-corrupt', new Uint8Array(100)],
      ['zip-corrupt', buildZip(entries()).subarray(0, 200)],
      ['zip64', buildZip(entries(), { zip64Locator: true })],
      ['zip64', buildZip([{ name: 'f.jpg', data: jpeg, extra: new Uint8Array([1, 0, 0, 0]) }, entries()[1]!])],
      ['zip-encrypted', buildZip([{ name: 'f.jpg', data: jpeg, flags: 1 }, entries()[1]!])],
      ['zip-encrypted', buildZip([{ name: 'f.jpg', data: jpeg, method: 99 }, entries()[1]!])],
      ['zip-method', buildZip([{ name: 'f.jpg', data: jpeg, method: 12 }, entries()[1]!])],
      ['zip-crc', buildZip([{ name: 'f.jpg', data: jpeg, crc: 1234 }, entries()[1]!])],
      ['missing-image', buildZip([entries()[1]!])],
      ['missing-box', buildZip([entries()[0]!])],
      ['missing-box', buildZip([entries()[0]!, { name: 'b.bin', data: new Uint8Array(15) }])],
      ['bad-box', buildZip([entries()[0]!, { name: 'b.bin', data: boxBytes([NaN, 0, 1, 1]) }])],
      ['bad-box', buildZip([entries()[0]!, { name: 'b.bin', data: boxBytes([10, 10, 5, 20]) }])],
      ['bad-box', buildZip([entries()[0]!, { name: 'b.bin', data: boxBytes([10, 10, 20, 10]) }])],
      ['bad-box', buildZip([entries()[0]!, { name: 'b.bin', data: boxBytes([0, 0, Infinity, 5]) }])],
      ['bad-image', buildZip([{ name: 'f.jpg', data: jpeg.subarray(0, 8) }, entries()[1]!])],
    ];
    for (const [reason, zip] of cases) expect(await reasonOf(() => readFramePatch(zip)), reason).to.equal(reason);
  });

  it('refuses a deflate bomb before it grows past its declared size', async () => {
    const zeros = new Uint8Array(4 * 1024 * 1024);
    const bomb = buildZip([{ name: 'f.jpg', data: zeros, deflate: true }]);
    // Lie about the uncompressed size in the central directory: 1 KiB declared, 4 MiB inside.
    const view = new DataView(bomb.buffer);
    const central = bomb.length - 22 - 46 - 'f.jpg'.length;
    view.setUint32(central + 24, 1024, true);
    const started = performance.now();
    expect(await reasonOf(() => readZip(bomb))).to.equal('zip-corrupt');
    expect(performance.now() - started).to.be.below(500);
    expect(await reasonOf(() => readZip(bomb, { maxEntries: 4, maxEntryBytes: 1000, maxTotalBytes: 1000 }))).to.equal('too-large');
  });
});

describe('patch placement', () => {
  const info = (width: number, height: number) => ({ type: 'image/jpeg' as const, width, height });

  it('scales a patch into its box', () => {
    expect(placePatch({ info: info(60, 40), box: [100, 200, 220, 280] }, 720, 1280)).to.deep.equal({
      source: { x: 0, y: 0, width: 60, height: 40 },
      target: { x: 100, y: 200, width: 120, height: 80 },
    });
  });

  it('takes the box region out of a full-frame image', () => {
    expect(placePatch({ info: info(720, 1280), box: [100, 200, 220, 280] }, 720, 1280)).to.deep.equal({
      source: { x: 100, y: 200, width: 120, height: 80 },
      target: { x: 100, y: 200, width: 120, height: 80 },
    });
  });

  it('clips a box partly outside the frame, shrinking the source in proportion', () => {
    expect(placePatch({ info: info(100, 100), box: [-50, 1230, 50, 1330] }, 720, 1280)).to.deep.equal({
      source: { x: 50, y: 0, width: 50, height: 50 },
      target: { x: 0, y: 1230, width: 50, height: 50 },
    });
  });

  it('rejects a box with no area inside the frame', async () => {
    expect(await reasonOf(() => placePatch({ info: info(10, 10), box: [720, 0, 800, 10] }, 720, 1280))).to.equal('box-out-of-frame');
    expect(await reasonOf(() => placePatch({ info: info(10, 10), box: [-20, -20, -1, -1] }, 720, 1280))).to.equal('box-out-of-frame');
  });
});
