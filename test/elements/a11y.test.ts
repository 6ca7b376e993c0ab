import { expect, fixture, html } from '@open-wc/testing';
import '../../src/define.js';
import type { LipsyncSessionElement } from '../../src/index.js';

// An accessibility audit (axe-core, WCAG 2.x A/AA rules) of the views as a page shows them: before
// start with the start button, and with a message on the view.

interface AxeResult {
  violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: unknown }> }>;
  passes: Array<{ id: string }>;
}
declare global {
  interface Window {
    axe?: { run(context: Element, options: object): Promise<AxeResult> };
  }
}

async function loadAxe(): Promise<void> {
  if (window.axe) return;
  await new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/node_modules/axe-core/axe.min.js';
    script.onload = () => resolve();
    script.onerror = () => reject(new Error('axe-core did not load'));
    document.head.append(script);
  });
}

async function audit(el: Element): Promise<AxeResult> {
  await loadAxe();
  return window.axe!.run(el, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
}

describe('accessibility audit (axe-core)', function () {
  this.timeout(30_000);

  it('the views before start (start button) and with a message: no WCAG A/AA violation', async () => {
    const session = await fixture<LipsyncSessionElement>(
      html`<main><lipsync-session model="anna" server="ws://127.0.0.1:9" cache="none" video-src="/test/fixtures/numbered.mp4"><lipsync-canvas style="width: 240px"></lipsync-canvas><lipsync-buffer-view></lipsync-buffer-view></lipsync-session></main>`,
    ).then((main) => main.querySelector('lipsync-session') as LipsyncSessionElement);
    const end = performance.now() + 10_000;
    while (session.state !== 'ready' && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
    const view = session.querySelector('lipsync-canvas')!;
    await (view as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    expect(view.shadowRoot!.querySelector('button[part="start"]'), 'start button shown').to.not.equal(null);
    let result = await audit(session);
    expect(result.violations.map((v) => `${v.id}: ${v.help}`)).to.deep.equal([]);
    // The rules that apply here were checked (not an audit of nothing).
    const passed = result.passes.map((p) => p.id);
    // (color-contrast comes back "incomplete": text over a canvas has no background axe can read.)
    expect(passed).to.include.members(['button-name', 'role-img-alt', 'label-content-name-mismatch', 'nested-interactive', 'aria-valid-attr-value']);

    session.setAttribute('model', '');
    await session.updateComplete;
    await (view as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    expect(view.shadowRoot!.querySelector('[part="message"]')!.textContent).to.contain('No avatar model');
    result = await audit(session);
    expect(result.violations.map((v) => `${v.id}: ${v.help}`)).to.deep.equal([]);
  });
});
