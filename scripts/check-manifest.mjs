// Fails when custom-elements.json or README's API section is not what `npm run analyze` makes
// from the sources now, and lists SPEC §2 items the manifest does not document yet.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { elements, sortedManifest, withApi } from './manifest-lib.mjs';

// cem takes --outdir relative to the working directory.
const dir = join('node_modules', '.cache', 'cem-check');
mkdirSync(dir, { recursive: true });
// cem rewrites package.json's "customElements" to the --outdir it was given: put it back after.
const packageJson = readFileSync('package.json', 'utf8');
try {
  try {
    execFileSync('npx', ['cem', 'analyze', '--litelement', '--globs', 'src/elements/**/*.ts', '--outdir', dir], { stdio: 'pipe' });
  } finally {
    writeFileSync('package.json', packageJson);
  }
  const fresh = sortedManifest(JSON.parse(readFileSync(join(dir, 'custom-elements.json'), 'utf8')));
  const committed = JSON.parse(readFileSync('custom-elements.json', 'utf8'));
  let failed = false;
  if (JSON.stringify(fresh) !== JSON.stringify(committed)) {
    console.error('custom-elements.json is stale: run `npm run analyze` and commit the result');
    failed = true;
  }
  const readme = readFileSync('README.md', 'utf8');
  if (withApi(readme, fresh) !== readme) {
    console.error("README.md's API section is stale: run `npm run analyze` and commit the result");
    failed = true;
  }

  const spec = {
    'lipsync-session': {
      attributes: ['server', 'model', 'models-base', 'video-src', 'input', 'audio-src', 'autostart', 'playback-delay', 'buffer-slots', 'max-frames', 'reconnect-interval', 'timeout', 'muted', 'cache', 'debug'],
      events: ['lipsync-state-change', 'lipsync-connection-change', 'lipsync-progress', 'lipsync-frame', 'lipsync-speaking-change', 'lipsync-metrics', 'lipsync-error'],
    },
    'lipsync-canvas': { attributes: ['view', 'debug', 'session'], events: [], parts: ['canvas'] },
    'lipsync-buffer-view': {
      attributes: ['session'],
      events: [],
      cssProperties: ['--lipsync-slot-empty', '--lipsync-slot-audio', '--lipsync-slot-sent', '--lipsync-slot-complete', '--lipsync-slot-failed'],
    },
  };
  // SPEC §2: every code lipsync-error can carry is named in the event's documentation.
  const errorCodes = ['mic-denied', 'mic-unavailable', 'video-load-failed', 'server-unreachable', 'protocol-error', 'inference-error', 'inference-timeout', 'cache-unavailable', 'invalid-attribute'];
  const byTag = new Map(elements(fresh).map((e) => [e.tagName, e]));
  const missing = [];
  const lack = (what) => {
    missing.push(what);
    failed = true;
  };
  for (const [tag, want] of Object.entries(spec)) {
    const el = byTag.get(tag);
    if (!el) {
      console.error(`<${tag}> is not in the manifest`);
      failed = true;
      continue;
    }
    const attrs = new Set((el.attributes ?? []).map((a) => a.name));
    const events = new Set((el.events ?? []).map((e) => e.name));
    const parts = new Set((el.cssParts ?? []).map((p) => p.name));
    const props = new Set((el.cssProperties ?? []).map((p) => p.name));
    for (const a of want.attributes) if (!attrs.has(a)) lack(`<${tag}> attribute ${a}`);
    for (const e of want.events) if (!events.has(e)) lack(`<${tag}> event ${e}`);
    for (const p of want.parts ?? []) if (!parts.has(p)) lack(`<${tag}> part ${p}`);
    for (const p of want.cssProperties ?? []) if (!props.has(p)) lack(`<${tag}> CSS property ${p}`);
  }
  const errorEvent = (byTag.get('lipsync-session')?.events ?? []).find((e) => e.name === 'lipsync-error');
  for (const code of errorCodes) if (!errorEvent?.description?.includes(`\`${code}\``)) lack(`lipsync-error code ${code}`);
  if (missing.length) console.error(`SPEC §2 items the manifest does not document: ${missing.join(', ')}`);
  if (failed) process.exit(1);
  console.log('custom-elements.json and README API section are current');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
