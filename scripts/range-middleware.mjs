// Koa middleware answering HTTP Range requests for files under `root` (the dev servers of
// @web/* ignore Range, and <video> seeking then silently stays at 0).
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';

/** Content types of the files the demo and test servers hand out. */
export const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
};

/**
 * The byte range a `Range` header asks of a file of `size` bytes: [start, end] inclusive;
 * undefined when the header is not a single byte range (answer the whole file), null when the
 * range is outside the file (416).
 */
export function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const start = Math.max(0, m[1] === '' ? size - Number(m[2]) : Number(m[1]));
  const end = Math.min(m[1] === '' || m[2] === '' ? size - 1 : Number(m[2]), size - 1);
  return start > end ? null : [start, end];
}

export function rangeMiddleware(root) {
  const base = normalize(root).replace(/[\/]+$/, '');
  return async (ctx, next) => {
    const header = ctx.get('range');
    if (ctx.method !== 'GET' || !header) return next();
    const path = normalize(join(base, decodeURIComponent(ctx.path)));
    if (!path.startsWith(base + sep) && path !== base) return next();
    let size;
    try {
      const st = statSync(path);
      if (!st.isFile()) return next();
      size = st.size;
    } catch {
      return next();
    }
    const range = parseRange(header, size);
    if (range === undefined) return next();
    if (range === null) {
      ctx.status = 416;
      ctx.set('Content-Range', `bytes */${size}`);
      return;
    }
    const [start, end] = range;
    ctx.status = 206;
    ctx.set('Accept-Ranges', 'bytes');
    ctx.set('Content-Range', `bytes ${start}-${end}/${size}`);
    ctx.set('Content-Length', String(end - start + 1));
    ctx.type = TYPES[extname(path)] ?? 'application/octet-stream';
    ctx.body = createReadStream(path, { start, end });
  };
}
