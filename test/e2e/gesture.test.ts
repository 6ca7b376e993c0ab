import { expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/define.js';
import { createSession, received, record, sleep, startServer, stopServer, waitFor } from './helpers.js';

// This file runs in a Chromium that keeps audio suspended until a user gesture (no autoplay
// flag), as a browser does on a page the user has not touched yet.
describe('autostart where audio waits for a user gesture', function () {
  this.timeout(30_000);

  it('starts at once, and audio flows from the first key press on', async () => {
    const server = await startServer();
    const el = createSession({ server: server.url, model: 'demo', autostart: '', input: 'file', 'audio-src': '/test/fixtures/speech-44k.wav', muted: '' });
    const frames = record(el, 'lipsync-frame');
    document.body.append(el);
    await waitFor(() => el.state === 'running', 5000, 'running');
    await waitFor(() => el.hasAttribute('data-connected'), 5000, 'connected');
    await sleep(800);
    // Suspended: the file does not play, nothing is captured or sent.
    expect((await received(server.port)).length).to.equal(0);
    expect(frames).to.have.length(0);

    await sendKeys({ press: 'a' });
    await waitFor(() => frames.length >= 10, 5000, 'frames after the gesture');
    expect((await received(server.port)).length).to.be.at.least(10);
    el.remove();
    await stopServer(server.port);
  });
});
