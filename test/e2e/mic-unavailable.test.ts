import { expect } from '@open-wc/testing';
import '../../src/define.js';
import { createSession, record, startServer, stopServer, waitFor } from './helpers.js';

// This file runs in a Chromium with the permission UI faked but no fake device: there is no
// microphone at all.
describe('no microphone', function () {
  this.timeout(30_000);

  it('gives mic-unavailable; file input still works', async () => {
    const server = await startServer();
    const el = createSession({ server: server.url, model: 'demo', muted: '' });
    const events = record(el, 'lipsync-error', 'lipsync-frame');
    document.body.append(el);
    await el.start();
    expect(events[0]!.detail.code).to.equal('mic-unavailable');
    expect(el.state).to.equal('error');

    el.setAttribute('input', 'file');
    el.setAttribute('audio-src', '/test/fixtures/speech-44k.wav');
    await el.updateComplete;
    await el.start();
    expect(el.state).to.equal('running');
    await waitFor(() => events.filter((e) => e.type === 'lipsync-frame').length >= 10, 5000, 'frames from the file');
    el.remove();
    await stopServer(server.port);
  });
});
