import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { deleteDB, openDB } from 'idb';
import '../../src/define.js';
import type { LipsyncSessionElement } from '../../src/index.js';

async function session(markup: ReturnType<typeof html>): Promise<LipsyncSessionElement> {
  const el = await fixture<LipsyncSessionElement>(markup);
  await el.updateComplete;
  return el;
}

describe('<lipsync-session>', () => {
  it('is defined and reads its attributes into properties', async () => {
    const el = await session(html`<lipsync-session
      server="wss://example.test:9000/ai"
      model="anna"
      models-base="/m"
      video-src="/v.mp4"
      input="push"
      audio-src="/a.wav"
      playback-delay="400"
      buffer-slots="300"
      max-frames="125"
      reconnect-interval="1000"
      timeout="5000"
      muted
      cache="none"
      debug
    ></lipsync-session>`);
    expect(el).to.be.instanceOf(customElements.get('lipsync-session')!);
    expect(el.server).to.equal('wss://example.test:9000/ai');
    expect(el.model).to.equal('anna');
    expect(el.modelsBase).to.equal('/m');
    expect(el.videoSrc).to.equal('/v.mp4');
    expect(el.input).to.equal('push');
    expect(el.audioSrc).to.equal('/a.wav');
    expect(el.autostart).to.equal(false);
    expect(el.playbackDelay).to.equal(400);
    expect(el.bufferSlots).to.equal(300);
    expect(el.maxFrames).to.equal(125);
    expect(el.reconnectInterval).to.equal(1000);
    expect(el.timeout).to.equal(5000);
    expect(el.muted).to.equal(true);
    expect(el.cache).to.equal('none');
    expect(el.debug).to.equal(true);
    expect(el.state).to.equal('idle');
    expect(el.dataset['state']).to.equal('idle');
    expect(el.hasAttribute('data-connected')).to.equal(false);
  });

  it('has the SPEC defaults', async () => {
    const el = await session(html`<lipsync-session model="demo"></lipsync-session>`);
    expect(el.server).to.equal('ws://localhost:8084');
    expect(el.modelsBase).to.equal('/models');
    expect(el.input).to.equal('mic');
    expect(el.playbackDelay).to.equal('auto');
    expect(el.bufferSlots).to.equal(500);
    expect(el.maxFrames).to.equal(250);
    expect(el.reconnectInterval).to.equal(3000);
    expect(el.timeout).to.equal(30000);
    expect(el.cache).to.equal('indexeddb');
    expect([el.autostart, el.muted, el.debug]).to.deep.equal([false, false, false]);
  });

  const invalid: Array<[string, string]> = [
    ['buffer-slots', 'lots'],
    ['buffer-slots', '-5'],
    ['max-frames', '2.5'],
    ['playback-delay', 'soon'],
    ['reconnect-interval', ''],
    ['timeout', '99999999999'],
    ['input', 'telepathy'],
    ['cache', 'localStorage'],
  ];
  for (const [name, value] of invalid) {
    it(`reports ${name}="${value}" as invalid-attribute and keeps the default, without throwing`, async () => {
      const el = document.createElement('lipsync-session');
      el.setAttribute('model', 'demo');
      el.setAttribute(name, value);
      const event = oneEvent(el, 'lipsync-error');
      document.body.append(el);
      const { detail } = await event;
      expect(detail.code).to.equal('invalid-attribute');
      expect(detail.message).to.contain(name).and.to.contain(value);
      expect(detail.recoverable).to.equal(true);
      expect(detail.count).to.equal(1);
      expect(el.state).to.equal('idle');
      el.remove();
    });
  }

  it('stays in error for a server that is not ws:/wss: or an empty model, and leaves it when corrected', async () => {
    const el = document.createElement('lipsync-session');
    el.setAttribute('server', 'http://localhost:8084');
    el.setAttribute('model', 'demo');
    const errorEvent = oneEvent(el, 'lipsync-error');
    const stateEvent = oneEvent(el, 'lipsync-state-change');
    document.body.append(el);
    const { detail } = await errorEvent;
    expect(detail).to.include({ code: 'invalid-attribute', recoverable: false });
    expect(detail.message).to.contain('http://localhost:8084');
    expect((await stateEvent).detail).to.deep.equal({ state: 'error', previous: 'idle' });
    expect(el.state).to.equal('error');
    expect(el.getAttribute('data-state')).to.equal('error');

    const back = oneEvent(el, 'lipsync-state-change');
    el.setAttribute('server', 'ws://127.0.0.1:8084');
    expect((await back).detail).to.deep.equal({ state: 'idle', previous: 'error' });
    expect(el.dataset['state']).to.equal('idle');

    const emptyModel = oneEvent(el, 'lipsync-error');
    el.setAttribute('model', '  ');
    expect((await emptyModel).detail.message).to.contain('model');
    expect(el.state).to.equal('error');
    el.remove();
  });

  it('folds repeats of one error code into one event per 250 ms with a count', async () => {
    const el = await session(html`<lipsync-session model="demo"></lipsync-session>`);
    const seen: Array<{ count: number; message: string; at: number }> = [];
    el.addEventListener('lipsync-error', (e) => seen.push({ count: e.detail.count, message: e.detail.message, at: performance.now() }));
    el.setAttribute('buffer-slots', 'x');
    await el.updateComplete;
    el.setAttribute('max-frames', 'y');
    await el.updateComplete;
    el.setAttribute('timeout', 'z');
    await el.updateComplete;
    expect(seen).to.have.length(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(seen).to.have.length(2);
    expect(seen[1]!.count).to.equal(2);
    expect(seen[1]!.message).to.contain('max-frames').and.to.contain('timeout');
    expect(seen[1]!.at - seen[0]!.at).to.be.at.least(240);
  });

  it('passes an accessibility audit', async () => {
    const el = await session(html`<lipsync-session model="demo"><lipsync-canvas></lipsync-canvas><lipsync-buffer-view></lipsync-buffer-view></lipsync-session>`);
    await expect(el).to.be.accessible();
  });
});

describe('<lipsync-session> model video events', function () {
  this.timeout(30_000);
  const sessions: HTMLElement[] = [];
  afterEach(() => {
    for (const el of sessions.splice(0)) el.remove();
  });

  /** A session with a view (views ask for the model video) on the 50-frame numbered fixture. */
  function withView(attrs: Record<string, string>) {
    const el = document.createElement('lipsync-session');
    for (const [k, v] of Object.entries({ model: `video-events-${Math.random().toString(36).slice(2)}`, 'video-src': '/test/fixtures/numbered.mp4', ...attrs })) el.setAttribute(k, v);
    el.innerHTML = '<lipsync-canvas></lipsync-canvas>';
    const seen: Array<{ type: string; detail: any; composed: boolean; bubbles: boolean }> = [];
    for (const type of ['lipsync-progress', 'lipsync-error', 'lipsync-state-change']) {
      document.body.addEventListener(type, (e) => {
        if (e.target === el) seen.push({ type, detail: (e as CustomEvent).detail, composed: e.composed, bubbles: e.bubbles });
      });
    }
    sessions.push(el);
    document.body.append(el);
    return { el, seen };
  }

  async function until(el: LipsyncSessionElement, states: string[]) {
    const end = performance.now() + 20_000;
    while (!states.includes(el.state)) {
      if (performance.now() > end) throw new Error(`state ${el.state}, not ${states.join('/')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function allLoaded(seen: Array<{ type: string; detail: any }>) {
    const end = performance.now() + 20_000;
    while (seen.filter((e) => e.type === 'lipsync-progress').at(-1)?.detail.loaded !== 50 && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
  }

  it('fires lipsync-progress {loaded, total} for every extracted frame, up to the total; ready from the first frame', async () => {
    const { el, seen } = withView({ cache: 'none' });
    await until(el, ['ready', 'error']);
    expect(el.state).to.equal('ready');
    // Ready (the avatar can be shown and started) with the first frame, not the last.
    expect(seen.filter((e) => e.type === 'lipsync-progress').length, 'frames extracted when ready').to.be.below(50);
    await allLoaded(seen);
    const progress = seen.filter((e) => e.type === 'lipsync-progress');
    expect(progress.map((e) => e.detail)).to.deep.equal(Array.from({ length: 50 }, (_, i) => ({ loaded: i + 1, total: 50 })));
    expect(progress.every((e) => e.bubbles && e.composed)).to.equal(true);
    expect(seen.filter((e) => e.type === 'lipsync-state-change').map((e) => e.detail.state)).to.deep.equal(['loading', 'ready']);
    expect(seen.filter((e) => e.type === 'lipsync-error')).to.have.length(0);
  });

  it('fires video-load-failed naming the URL and goes to error, once, for a missing or undecodable video', async () => {
    const fetches = (url: string) => performance.getEntriesByType('resource').filter((e) => e.name.endsWith(url)).length;
    for (const url of ['/test/fixtures/missing.mp4', '/test/fixtures/speech-44k.wav']) {
      // Resource timing keeps 250 entries by default; this page loads more modules than that.
      performance.clearResourceTimings();
      const before = fetches(url);
      const { el, seen } = withView({ cache: 'none', 'video-src': url, server: 'ws://127.0.0.1:9', input: 'push' });
      await until(el, ['error']);
      // Views ask for the video on every update: a failed one must not be fetched again and again.
      await new Promise((r) => setTimeout(r, 600));
      expect(fetches(url) - before, `${url} fetched`).to.equal(1);
      expect(seen.filter((e) => e.type === 'lipsync-state-change').map((e) => e.detail.state)).to.deep.equal(['loading', 'error']);
      const errors = seen.filter((e) => e.type === 'lipsync-error');
      expect(errors, url).to.have.length(1);
      expect(errors[0]!.detail).to.include({ code: 'video-load-failed', recoverable: false, count: 1 });
      expect(errors[0]!.detail.message).to.contain(url);
      expect(el.dataset['state']).to.equal('error');
      // An unrelated attribute change does not hide the failure.
      el.toggleAttribute('debug', true);
      await el.updateComplete;
      expect(el.state).to.equal('error');
      // start() tries the video once more (and runs without it); stop() leaves the failure showing.
      void el.start();
      const end = performance.now() + 10_000;
      while (seen.filter((e) => e.type === 'lipsync-error' && e.detail.code === 'video-load-failed').length < 2 && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
      // Resource timing entries are added a moment after the response.
      for (let i = 0; i < 50 && fetches(url) - before < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(fetches(url) - before, `${url} fetched after start()`).to.equal(2);
      el.stop();
      expect(el.state).to.equal('error');
    }
  });

  it('loads a video again when video-src changes after a failure', async () => {
    const { el, seen } = withView({ cache: 'none', 'video-src': '/test/fixtures/missing.mp4' });
    await until(el, ['error']);
    el.setAttribute('video-src', '/test/fixtures/numbered.mp4');
    await until(el, ['ready']);
    expect(seen.filter((e) => e.type === 'lipsync-state-change').map((e) => e.detail.state)).to.deep.equal(['loading', 'error', 'loading', 'ready']);
  });

  it('fires cache-unavailable (recoverable) when IndexedDB refuses, and still becomes ready', async () => {
    const model = `video-events-${Math.random().toString(36).slice(2)}`;
    // A database of a newer version than the element opens: opening it fails (VersionError).
    (await openDB(`lipsync-elements:${model}`, 5)).close();
    try {
      const { el, seen } = withView({ model, cache: 'indexeddb' });
      await until(el, ['ready', 'error']);
      expect(el.state).to.equal('ready');
      const errors = seen.filter((e) => e.type === 'lipsync-error');
      expect(errors).to.have.length(1);
      expect(errors[0]!.detail).to.include({ code: 'cache-unavailable', recoverable: true });
      expect(errors[0]!.detail.message).to.contain('IndexedDB');
      await allLoaded(seen);
      expect(seen.filter((e) => e.type === 'lipsync-progress').at(-1)!.detail).to.deep.equal({ loaded: 50, total: 50 });
    } finally {
      await deleteDB(`lipsync-elements:${model}`);
    }
  });
});
