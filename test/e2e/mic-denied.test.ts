import { expect } from '@open-wc/testing';
import '../../src/define.js';
import { createSession, record, startServer, stopServer, waitFor } from './helpers.js';

// This file runs in a Chromium with a fake microphone but no fake permission UI: the
// headless browser answers the permission request with a denial.
describe('microphone denied', function () {
  this.timeout(30_000);

  it('gives mic-denied and state error; push input still works in the same page', async () => {
    const server = await startServer();
    const el = createSession({ server: server.url, model: 'demo', muted: '' });
    const events = record(el, 'lipsync-error', 'lipsync-state-change');
    document.body.append(el);
    await el.start();
    const error = events.find((e) => e.type === 'lipsync-error')!;
    expect(error.detail.code).to.equal('mic-denied');
    expect(error.detail.recoverable).to.equal(false);
    expect(el.state).to.equal('error');
    expect(el.dataset['state']).to.equal('error');

    el.setAttribute('input', 'push');
    await el.updateComplete;
    await el.start();
    expect(el.state).to.equal('running');
    const frames = record(el, 'lipsync-frame');
    const tone = new Float32Array(24000).map((_, i) => 0.3 * Math.sin(i / 5));
    el.pushAudio(tone, 24000);
    await waitFor(() => frames.length >= 10, 5000, 'frames from pushed audio');
    el.remove();
    await stopServer(server.port);
  });
});
