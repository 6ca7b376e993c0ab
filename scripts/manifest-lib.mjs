// Shared by readme-api.mjs and check-manifest.mjs: the README's API section from the manifest.
export const START = '<!-- API:START (generated from custom-elements.json by `npm run analyze`; do not edit) -->';
export const END = '<!-- API:END -->';

const cell = (s) => String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s) => (s === undefined || s === null || s === '' ? '' : `\`${cell(s)}\``);

function table(head, rows) {
  if (rows.length === 0) return '';
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`), ''].join('\n');
}

export function elements(manifest) {
  const out = [];
  for (const mod of manifest.modules ?? []) {
    for (const d of mod.declarations ?? []) if (d.customElement && d.tagName) out.push(d);
  }
  return out.sort((a, b) => a.tagName.localeCompare(b.tagName));
}

export function apiMarkdown(manifest) {
  const parts = [];
  for (const el of elements(manifest)) {
    parts.push(`### \`<${el.tagName}>\`\n`);
    if (el.summary) parts.push(`${cell(el.summary)}\n`);
    const fields = new Map((el.members ?? []).filter((m) => m.kind === 'field').map((m) => [m.name, m]));
    parts.push(
      table(
        ['Attribute', 'Property', 'Type', 'Default', 'Description'],
        (el.attributes ?? []).map((a) => {
          const f = a.fieldName ? fields.get(a.fieldName) : undefined;
          return [code(a.name), code(a.fieldName), code(a.type?.text ?? f?.type?.text), code(f?.default ?? a.default), cell(a.description ?? f?.description)];
        }),
      ),
    );
    const extra = (el.members ?? []).filter(
      (m) => m.kind === 'field' && m.privacy !== 'private' && m.privacy !== 'protected' && !m.static && !(el.attributes ?? []).some((a) => a.fieldName === m.name) && !m.name.startsWith('#'),
    );
    parts.push(table(['Property', 'Type', 'Description'], extra.map((m) => [code(m.name), code(m.type?.text), cell(m.description) + (m.readonly ? ' (read-only)' : '')])));
    const methods = (el.members ?? []).filter((m) => m.kind === 'method' && m.privacy !== 'private' && m.privacy !== 'protected' && !m.static && !m.name.startsWith('#') && m.description);
    parts.push(table(['Method', 'Description'], methods.map((m) => [code(`${m.name}(${(m.parameters ?? []).map((p) => p.name).join(', ')})`), cell(m.description)])));
    parts.push(table(['Event', 'Detail', 'Description'], (el.events ?? []).map((e) => [code(e.name), code(e.type?.text), cell(e.description)])));
    parts.push(table(['CSS part', 'Description'], (el.cssParts ?? []).map((p) => [code(p.name), cell(p.description)])));
    parts.push(table(['CSS property', 'Default', 'Description'], (el.cssProperties ?? []).map((p) => [code(p.name), code(p.default), cell(p.description)])));
    parts.push(table(['Slot', 'Description'], (el.slots ?? []).map((s) => [s.name ? code(s.name) : '(default)', cell(s.description)])));
  }
  return parts.filter(Boolean).join('\n');
}

export function withApi(readme, manifest) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} section`);
  return `${readme.slice(0, start + START.length)}\n\n${apiMarkdown(manifest)}\n${readme.slice(end)}`;
}

/** Modules in path order: cem lists them in the file system's order, which differs between machines. */
export function sortedManifest(manifest) {
  return { ...manifest, modules: [...(manifest.modules ?? [])].sort((a, b) => a.path.localeCompare(b.path)) };
}
