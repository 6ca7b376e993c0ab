import { expect } from '@open-wc/testing';

describe('the single-file bundle (dist/lipsync-elements.min.js)', () => {
  it('defines the three elements on its own and they work together', async () => {
    const mod = (await import(new URL('/dist/lipsync-elements.min.js', location.href).href)) as Record<string, unknown>;
    for (const tag of ['lipsync-session', 'lipsync-canvas', 'lipsync-buffer-view']) expect(customElements.get(tag), tag).to.be.a('function');
    expect(mod['LipsyncSessionElement']).to.equal(customElements.get('lipsync-session'));
    document.body.insertAdjacentHTML('beforeend', '<lipsync-session model="b"><lipsync-canvas></lipsync-canvas></lipsync-session>');
    const view = document.querySelector('lipsync-canvas') as HTMLElement & { updateComplete: Promise<unknown> };
    await view.updateComplete;
    expect(view.shadowRoot!.querySelector('canvas')!.getAttribute('aria-label')).to.contain('"b"');
  });
});
