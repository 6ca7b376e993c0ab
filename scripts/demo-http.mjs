// The demo's web server: 127.0.0.1 only, and only what the demo page needs — its page, the built
// bundle, the model folders and the bundled speech — with HTTP Range for <video> seeking. Anything
// else (the repository, .git, node_modules, the lock file) is a 404.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { parseRange, TYPES } from './range-middleware.mjs';

/** URL prefixes served, each from a folder of the repository. */
const SERVED = [
  ['/dist/', 'dist'],
  ['/demo/models/', 'demo/models'],
  ['/demo/audio/', 'demo/audio'],
];

/**
 * Starts the server. `extra` maps exact paths to JSON the page may read (the inference server's
 * profile), or to `{ html, headers }`, a page (tests make pages that name the inference server's port); `serve` adds [prefix, folder] pairs (the bench's pages). Resolves to the node:http
 * server once it listens.
 */
export async function startDemoHttp({ root, port = 8000, extra = {}, serve = [] }) {
  const file = (path) => {
    if (path === '/demo/' || path === '/demo/index.html') return join(root, 'demo/index.html');
    if (path.endsWith('/')) path += 'index.html';
    for (const [prefix, dir] of [...SERVED, ...serve]) {
      if (!path.startsWith(prefix)) continue;
      const base = join(root, dir);
      const full = normalize(join(base, path.slice(prefix.length)));
      return full.startsWith(base + sep) ? full : undefined;
    }
    return undefined;
  };
  const server = createServer((req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      path = '';
    }
    const send = (status, type, body, headers = {}) => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n', { Allow: 'GET, HEAD' });
    if (path === '/' || path === '/demo') return send(302, 'text/plain', 'see /demo/\n', { Location: '/demo/' });
    if (path in extra) {
      const v = extra[path];
      // A page made for a test ({ html }) or JSON the page reads.
      return typeof v?.html === 'string' ? send(200, TYPES['.html'], v.html, v.headers ?? {}) : send(200, TYPES['.json'], JSON.stringify(v));
    }
    const full = file(path);
    let size;
    let mtime;
    try {
      const st = full && statSync(full);
      if (!st || !st.isFile()) throw new Error('not a file');
      size = st.size;
      mtime = st.mtime;
    } catch {
      return send(404, 'text/plain', 'not found\n');
    }
    // Validators, as any real web server sends them: a second visit revalidates (304) and the
    // browser reuses what it has (and V8 its compiled code).
    const etag = `"${size.toString(36)}-${Math.floor(mtime.getTime()).toString(36)}"`;
    const validators = { ETag: etag, 'Last-Modified': mtime.toUTCString() };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { 'Cache-Control': 'no-cache', ...validators });
      return res.end();
    }
    const type = TYPES[extname(full)] ?? 'application/octet-stream';
    const range = req.headers.range ? parseRange(req.headers.range, size) : undefined;
    if (range === null) return send(416, 'text/plain', '', { 'Content-Range': `bytes */${size}` });
    const [start, end] = range ?? [0, size - 1];
    res.writeHead(range ? 206 : 200, {
      'Content-Type': type,
      'Content-Length': String(Math.max(0, end - start + 1)),
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      ...validators,
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD' || size === 0) return res.end();
    createReadStream(full, { start, end }).pipe(res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}
