/**
 * A minimal MP4 (ISO BMFF) demuxer for the model video's first H.264 track: enough to feed
 * WebCodecs' VideoDecoder (codec string, avcC description, samples with times and offsets).
 * DOM-free; throws `Error` with a reason for anything it does not handle, and the caller falls
 * back to the `<video>` element path.
 */

export interface Mp4Sample {
  /** Byte offset and size in the file. */
  offset: number;
  size: number;
  /** Decode and presentation times, in track timescale units. */
  dts: number;
  pts: number;
  duration: number;
  key: boolean;
}

export interface Mp4VideoTrack {
  codec: string;
  description: Uint8Array;
  width: number;
  height: number;
  timescale: number;
  samples: Mp4Sample[];
}

/**
 * Reads the first video track of an MP4 file held in `bytes`. Refers to nothing outside its
 * body, so `demuxMp4.toString()` is a working copy (the frames Worker is built from it).
 */
export function demuxMp4(bytes: Uint8Array): Mp4VideoTrack {
  // Self-contained (helpers inside): its source text also runs in the frames Worker.
  interface Box {
    type: string;
    start: number;
    end: number;
  }

  const MAX_SAMPLES = 1_000_000;

  function boxes(view: DataView, start: number, end: number): Box[] {
    const out: Box[] = [];
    let p = start;
    while (p + 8 <= end) {
      let size = view.getUint32(p);
      const type = String.fromCharCode(view.getUint8(p + 4), view.getUint8(p + 5), view.getUint8(p + 6), view.getUint8(p + 7));
      // 64-bit box sizes (files over 4 GB) are not for model videos: the <video> path takes those.
      if (size === 0) size = end - p;
      if (size < 8 || p + size > end) throw new Error(`box ${type}: unsupported size`);
      out.push({ type, start: p + 8, end: p + size });
      p += size;
    }
    return out;
  }

  function child(view: DataView, parent: Box, type: string): Box | undefined {
    return boxes(view, parent.start, parent.end).find((b) => b.type === type);
  }

  function need(box: Box | undefined, what: string): Box {
    if (!box) throw new Error(`no ${what} box`);
    return box;
  }

  const hex = (n: number) => n.toString(16).padStart(2, '0');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const top = boxes(view, 0, bytes.length);
  const moov = need(top.find((b) => b.type === 'moov'), 'moov');
  for (const trak of boxes(view, moov.start, moov.end).filter((b) => b.type === 'trak')) {
    const mdia = need(child(view, trak, 'mdia'), 'mdia');
    const hdlr = need(child(view, mdia, 'hdlr'), 'hdlr');
    if (String.fromCharCode(...bytes.subarray(hdlr.start + 8, hdlr.start + 12)) !== 'vide') continue;
    const mdhd = need(child(view, mdia, 'mdhd'), 'mdhd');
    // An edit list may shift presentation (B-frames make encoders start at a later time).
    let shift = 0;
    const elst = boxes(view, trak.start, trak.end).find((b) => b.type === 'edts') && child(view, need(child(view, trak, 'edts'), 'edts'), 'elst');
    if (elst && view.getUint32(elst.start + 4) > 0) {
      if (view.getUint8(elst.start) !== 0) throw new Error('64-bit edit list');
      shift = Math.max(0, view.getInt32(elst.start + 12));
    }
    const timescale = view.getUint32(mdhd.start + (view.getUint8(mdhd.start) === 1 ? 20 : 12));
    const stbl = need(child(view, need(child(view, mdia, 'minf'), 'minf'), 'stbl'), 'stbl');

    const stsd = need(child(view, stbl, 'stsd'), 'stsd');
    const entry = boxes(view, stsd.start + 8, stsd.end)[0];
    if (!entry || (entry.type !== 'avc1' && entry.type !== 'avc3')) throw new Error(`codec ${entry?.type ?? 'none'} is not H.264`);
    const width = view.getUint16(entry.start + 24);
    const height = view.getUint16(entry.start + 26);
    const avcC = need(boxes(view, entry.start + 78, entry.end).find((b) => b.type === 'avcC'), 'avcC');
    const description = bytes.slice(avcC.start, avcC.end);
    const codec = `${entry.type}.${hex(description[1]!)}${hex(description[2]!)}${hex(description[3]!)}`;

    // Sample sizes, chunk offsets and the sample-to-chunk map give each sample's place.
    const stsz = need(child(view, stbl, 'stsz'), 'stsz');
    const fixedSize = view.getUint32(stsz.start + 4);
    const count = view.getUint32(stsz.start + 8);
    if (count > MAX_SAMPLES) throw new Error(`${count} samples`);
    const sizes = Array.from({ length: count }, (_, i) => fixedSize || view.getUint32(stsz.start + 12 + i * 4));
    const stco = child(view, stbl, 'stco');
    const co64 = child(view, stbl, 'co64');
    const chunkBox = need(stco ?? co64, 'stco');
    const chunkCount = view.getUint32(chunkBox.start + 4);
    const chunkOffsets = Array.from({ length: chunkCount }, (_, i) =>
      stco ? view.getUint32(chunkBox.start + 8 + i * 4) : Number(view.getBigUint64(chunkBox.start + 8 + i * 8)),
    );
    const stsc = need(child(view, stbl, 'stsc'), 'stsc');
    const runs = Array.from({ length: view.getUint32(stsc.start + 4) }, (_, i) => ({
      firstChunk: view.getUint32(stsc.start + 8 + i * 12) - 1,
      perChunk: view.getUint32(stsc.start + 12 + i * 12),
    }));
    const stts = need(child(view, stbl, 'stts'), 'stts');
    const durations: number[] = [];
    for (let i = 0, n = view.getUint32(stts.start + 4); i < n && durations.length < count; i++) {
      const c = view.getUint32(stts.start + 8 + i * 8);
      const d = view.getUint32(stts.start + 12 + i * 8);
      for (let k = 0; k < c && durations.length < count; k++) durations.push(d);
    }
    const ctts = child(view, stbl, 'ctts');
    const offsets: number[] = [];
    if (ctts) {
      const signed = view.getUint8(ctts.start) === 1;
      for (let i = 0, n = view.getUint32(ctts.start + 4); i < n && offsets.length < count; i++) {
        const c = view.getUint32(ctts.start + 8 + i * 8);
        const o = signed ? view.getInt32(ctts.start + 12 + i * 8) : view.getUint32(ctts.start + 12 + i * 8);
        for (let k = 0; k < c && offsets.length < count; k++) offsets.push(o);
      }
    }
    const stss = child(view, stbl, 'stss');
    const keys = stss ? new Set(Array.from({ length: view.getUint32(stss.start + 4) }, (_, i) => view.getUint32(stss.start + 8 + i * 4) - 1)) : undefined;

    const samples: Mp4Sample[] = [];
    let dts = 0;
    for (let chunk = 0, run = 0; chunk < chunkCount && samples.length < count; chunk++) {
      while (run + 1 < runs.length && runs[run + 1]!.firstChunk <= chunk) run++;
      let offset = chunkOffsets[chunk]!;
      for (let k = 0; k < (runs[run]?.perChunk ?? 0) && samples.length < count; k++) {
        const i = samples.length;
        const size = sizes[i]!;
        if (offset + size > bytes.length) throw new Error(`sample ${i} lies past the end of the file`);
        const duration = durations[i] ?? durations.at(-1) ?? 0;
        samples.push({ offset, size, dts, pts: dts + (offsets[i] ?? 0) - shift, duration, key: keys ? keys.has(i) : true });
        offset += size;
        dts += duration;
      }
    }
    if (samples.length !== count) throw new Error(`${samples.length} of ${count} samples placed`);
    return { codec, description, width, height, timescale, samples };
  }
  throw new Error('no video track');
}
