import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDevServer } from '@web/dev-server';
// @ts-expect-error plain ES module without declarations
import { rangeMiddleware } from '../../scripts/range-middleware.mjs';

describe('Range middleware of the demo and test servers', () => {
  let server: Awaited<ReturnType<typeof startDevServer>>;
  let base = '';
  before(async () => {
    server = await startDevServer({
      config: { rootDir: process.cwd(), port: 0, hostname: '127.0.0.1', middleware: [rangeMiddleware(`${process.cwd()}/`)] },
      readCliArgs: false,
      readFileConfig: false,
      logStartMessage: false,
    });
    const address = server.server?.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    await server.stop();
  });

  it('answers byte ranges with 206 and the right bytes, so <video> can seek', async () => {
    const file = readFileSync('demo/models/demo/video.mp4');
    const r = await fetch(`${base}/demo/models/demo/video.mp4`, { headers: { Range: 'bytes=100-199' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-range'), `bytes 100-199/${file.length}`);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), file.subarray(100, 200));
    const tail = await fetch(`${base}/demo/models/demo/video.mp4`, { headers: { Range: 'bytes=-16' } });
    assert.equal(tail.status, 206);
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), file.subarray(file.length - 16));
    const outside = await fetch(`${base}/demo/models/demo/video.mp4`, { headers: { Range: `bytes=${file.length + 5}-` } });
    assert.equal(outside.status, 416);
    const whole = await fetch(`${base}/demo/models/demo/video.mp4`);
    assert.equal(whole.status, 200);
    assert.equal((await whole.arrayBuffer()).byteLength, file.length);
    // Never outside the root.
    const escape = await fetch(`${base}/..%2F..%2Fetc%2Fpasswd`, { headers: { Range: 'bytes=0-10' } });
    assert.notEqual(escape.status, 206);
  });
});
