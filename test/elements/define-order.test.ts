import { expect } from '@open-wc/testing';
// The classes alone: importing index defines nothing.
import { LipsyncCanvasElement } from '../../src/index.js';

describe('context across define orders', () => {
  it('index has no side effects, and a view defined before its session still finds it', async () => {
    expect(customElements.get('lipsync-session')).to.equal(undefined);
    customElements.define('lipsync-canvas', LipsyncCanvasElement);
    document.body.insertAdjacentHTML('beforeend', '<lipsync-session model="late"><lipsync-canvas></lipsync-canvas></lipsync-session>');
    const view = document.querySelector('lipsync-canvas') as LipsyncCanvasElement;
    await view.updateComplete;
    expect(view.shadowRoot!.querySelector('canvas')!.getAttribute('aria-label')).to.contain('not attached');

    await import('../../src/define.js');
    await customElements.whenDefined('lipsync-session');
    await (document.querySelector('lipsync-session') as HTMLElement & { updateComplete: Promise<unknown> }).updateComplete;
    await view.updateComplete;
    expect(view.shadowRoot!.querySelector('canvas')!.getAttribute('aria-label')).to.contain('"late"');
  });
});
