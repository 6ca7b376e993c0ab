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
});
