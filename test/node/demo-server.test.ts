import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 2000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

describe('npm start: the demo web server', () => {
  let demo: { url: string; port: number; timing: string; close(): Promise<void> };
  before(async () => {
    // Imported by path (not bundled with the test): the script finds the repository from its own URL.
    const { startDemo } = await import(pathToFileURL(resolve('scripts/start.mjs')).href);
    demo = await startDemo({ port: 0, wsPort: 0, runBuild: false, log: () => {} });
  });
  after(async () => {
    await demo.close();
  });

  it('serves the demo with its video, speech and bundle, and says which server profile it talks to', async () => {
    const base = demo.url.replace(/\/demo\/$/, '');
    const page = await fetch(demo.url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<lipsync-session/);
    assert.equal((await fetch(`${base}/dist/lipsync-elements.min.js`)).status, 200);
    assert.equal((await fetch(`${base}/demo/audio/speech.wav`, { method: 'HEAD' })).status, 200);
    const video = readFileSync('demo/models/demo/video.mp4');
    const part = await fetch(`${base}/demo/models/demo/video.mp4`, { headers: { Range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), video.subarray(10, 20));
    const info = await (await fetch(`${base}/demo/server.json`)).json();
    assert.match(info.timing, /^profile gpu: look-ahead 7 chunks/, 'npm start runs the gpu profile');
    assert.equal(demo.timing, info.timing);
  });

  it('serves nothing else: not the repository, .git, node_modules or the lock file', async () => {
    const base = demo.url.replace(/\/demo\/$/, '');
    for (const path of ['/.git/config', '/node_modules/lit/package.json', '/package-lock.json', '/package.json', '/README.md', '/src/index.ts', '/demo/server/server.ts', '/demo/models/../../package.json', '/dist/..%2fpackage.json', '/demo/%2e%2e/package.json']) {
      const r = await fetch(`${base}${path}`);
      assert.equal(r.status, 404, path);
    }
  });

  it('listens on 127.0.0.1 only', async () => {
    assert.ok(await accepts('127.0.0.1', demo.port));
    const others = Object.values(networkInterfaces()).flat().filter((a) => a && !a.internal && a.family === 'IPv4').map((a) => a!.address);
    for (const address of others) assert.equal(await accepts(address, demo.port), false, `reachable on ${address}`);
    assert.equal(await accepts('::1', demo.port), false, 'reachable on ::1');
  });
});
