import { expect, fixture, html } from '@open-wc/testing';
import '../../src/define.js';
import type { LipsyncBufferViewElement, LipsyncCanvasElement, LipsyncSessionElement } from '../../src/index.js';

describe('views inside a session', () => {
  it('<lipsync-canvas> finds its session through the context and renders a 720×1280 canvas part', async () => {
    const session = await fixture<LipsyncSessionElement>(html`<lipsync-session model="anna"><div><lipsync-canvas view="inference" debug></lipsync-canvas></div></lipsync-session>`);
    const view = session.querySelector('lipsync-canvas') as LipsyncCanvasElement;
    await view.updateComplete;
    expect(view.view).to.equal('inference');
    expect(view.debug).to.equal(true);
    const canvas = view.shadowRoot!.querySelector('canvas')!;
    expect(canvas.getAttribute('part')).to.equal('canvas');
    expect([canvas.width, canvas.height]).to.deep.equal([720, 1280]);
    expect(canvas.getAttribute('role')).to.equal('img');
    expect(canvas.getAttribute('aria-label')).to.contain('anna').and.to.match(/idle|loading|error/);

    // Low-rate state reaches the view: the label follows the session into error.
    session.setAttribute('server', 'nope');
    await session.updateComplete;
    await view.updateComplete;
    expect(canvas.getAttribute('aria-label')).to.contain('error');
  });

  it('<lipsync-canvas> alone says it has no session', async () => {
    const view = await fixture<LipsyncCanvasElement>(html`<lipsync-canvas></lipsync-canvas>`);
    expect(view.shadowRoot!.querySelector('canvas')!.getAttribute('aria-label')).to.contain('not attached');
  });

  it('<lipsync-buffer-view> draws one column per ring slot in the empty colour', async () => {
    const session = await fixture<LipsyncSessionElement>(
      html`<lipsync-session model="anna" buffer-slots="120"><lipsync-buffer-view style="--lipsync-slot-empty: rgb(10, 20, 30)"></lipsync-buffer-view></lipsync-session>`,
    );
    const view = session.querySelector('lipsync-buffer-view') as LipsyncBufferViewElement;
    await view.updateComplete;
    const bar = view.shadowRoot!.querySelector('canvas')!;
    expect(bar.getAttribute('part')).to.equal('bar');
    // The view draws in its animation-frame loop.
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    expect(bar.width).to.equal(120);
    const pixel = bar.getContext('2d')!.getImageData(60, 0, 1, 1).data;
    expect(Array.from(pixel)).to.deep.equal([10, 20, 30, 255]);
  });

  it('<lipsync-canvas> says on itself, in words, what keeps the avatar from working; nothing when all is well', async () => {
    const session = await fixture<LipsyncSessionElement>(html`<lipsync-session model="anna" cache="none" video-src="/test/fixtures/numbered.mp4"><lipsync-canvas></lipsync-canvas></lipsync-session>`);
    const view = session.querySelector('lipsync-canvas') as LipsyncCanvasElement;
    await view.updateComplete;
    const message = () => view.shadowRoot!.querySelector('[part="message"]')!;
    expect(message().getAttribute('role')).to.equal('status');
    expect(message().textContent!.trim()).to.equal('');
    expect(message().getBoundingClientRect().height, 'takes no room').to.equal(0);
    const settle = async () => {
      await session.updateComplete;
      await view.updateComplete;
    };
    session.setAttribute('server', 'http://example.com');
    await settle();
    expect(message().textContent).to.contain('ws://');
    session.setAttribute('server', 'ws://127.0.0.1:9');
    session.setAttribute('model', '');
    await settle();
    expect(message().textContent).to.contain('No avatar model');
    session.setAttribute('model', 'anna');
    await settle();
    expect(message().textContent!.trim(), 'corrected: the message goes').to.equal('');
    session.setAttribute('video-src', '/test/fixtures/missing.mp4');
    const end = performance.now() + 10_000;
    while (session.state !== 'error' && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
    await settle();
    expect(message().textContent).to.contain('video could not be loaded');
    expect(message().getBoundingClientRect().height, 'on screen').to.be.above(10);
  });

  it('<lipsync-canvas> with no page CSS: as wide as it may be, at most 80 % of the window tall, the aspect kept; page CSS wins', async () => {
    const session = await fixture<LipsyncSessionElement>(html`<lipsync-session model="anna" server="ws://127.0.0.1:9"><lipsync-canvas></lipsync-canvas></lipsync-session>`);
    const view = session.querySelector('lipsync-canvas') as LipsyncCanvasElement;
    await view.updateComplete;
    const r = view.getBoundingClientRect();
    expect(r.height).to.be.at.most(innerHeight * 0.8 + 1);
    expect(r.width / r.height).to.be.closeTo(720 / 1280, 0.01);
    view.style.width = '200px';
    expect(view.getBoundingClientRect().height).to.be.closeTo((200 * 1280) / 720, 1);
  });

  it('<lipsync-canvas> puts its start button low, clear of the face, labelled and reachable by keyboard', async () => {
    const session = await fixture<LipsyncSessionElement>(html`<lipsync-session model="anna" server="ws://127.0.0.1:9" cache="none" video-src="/test/fixtures/numbered.mp4"><lipsync-canvas style="width: 360px"></lipsync-canvas></lipsync-session>`);
    const view = session.querySelector('lipsync-canvas') as LipsyncCanvasElement;
    const end = performance.now() + 10_000;
    while (session.state !== 'ready' && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
    await view.updateComplete;
    const button = view.shadowRoot!.querySelector('button[part="start"]') as HTMLButtonElement;
    expect(button.getAttribute('aria-label')).to.contain('anna');
    expect(button.tabIndex).to.equal(0);
    const b = button.getBoundingClientRect();
    const v = view.getBoundingClientRect();
    // Below the portrait's face (its upper two thirds).
    expect(b.top - v.top).to.be.above(v.height * 0.75);
  });
});
