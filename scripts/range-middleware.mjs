// Koa middleware answering HTTP Range requests for files under `root` (the dev servers of
// @web/* ignore Range, and <video> seeking then silently stays at 0).
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = { '.mp4': 'video/mp4', '.webm': 'video/webm', '.wav': 'audio/wav', '.mp3': 'audio/mpeg' };

export function rangeMiddleware(root) {
  const base = normalize(root).replace(/[\/]+$/, '');
  return async (ctx, next) => {
    const range = ctx.get('range');
    if (ctx.method !== 'GET' || !range) return next();
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
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (!m || (m[1] === '' && m[2] === '')) return next();
    let start = m[1] === '' ? size - Number(m[2]) : Number(m[1]);
    let end = m[1] === '' || m[2] === '' ? size - 1 : Number(m[2]);
    start = Math.max(0, start);
    end = Math.min(end, size - 1);
    if (start > end) {
      ctx.status = 416;
      ctx.set('Content-Range', `bytes */${size}`);
      return;
    }
    ctx.status = 206;
    ctx.set('Accept-Ranges', 'bytes');
    ctx.set('Content-Range', `bytes ${start}-${end}/${size}`);
    ctx.set('Content-Length', String(end - start + 1));
    ctx.type = TYPES[extname(path)] ?? 'application/octet-stream';
    ctx.body = createReadStream(path, { start, end });
  };
}
