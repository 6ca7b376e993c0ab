// Writes dist/lipsync-capture-worklet.js (the capture worklet as a same-origin file, for pages
// whose Content-Security-Policy forbids blob: scripts), dist/lipsync-frames-worker.js (the frames
// Worker: extraction, and decoding where the inline one cannot start) and dist/lipsync-net-worker.js
// (the session's network Worker).
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = resolve('node_modules/.cache/emit-worklet');
mkdirSync(dir, { recursive: true });
for (const [entry, file, exported] of [
  ['src/platform/capture-worklet.ts', 'lipsync-capture-worklet.js', 'workletSource'],
]) {
  const outfile = resolve(dir, `${file}.mjs`);
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'neutral', format: 'esm', minify: true, logLevel: 'warning' });
  const source = (await import(pathToFileURL(outfile).href))[exported];
  writeFileSync(`dist/${file}`, `${source()}\n`);
  console.log(`dist/${file} written`);
}

// The frames Worker's file: extraction and decoding (the bundle's inline Worker only decodes).
// Loaded as a module Worker (extraction) and as a classic one (decoding, where the inline Worker
// cannot start): an IIFE is both. Its own URL where the shared code asks for import.meta.url.
await build({ entryPoints: ['src/platform/lipsync-frames-worker.ts'], outfile: 'dist/lipsync-frames-worker.js', bundle: true, platform: 'browser', format: 'iife', minify: true, target: 'es2022', define: { 'import.meta.url': 'self.location.href' }, logLevel: 'warning' });
console.log('dist/lipsync-frames-worker.js written');

// The network Worker: a module Worker loaded from next to the bundle (its imports bundled in).
await build({ entryPoints: ['src/platform/lipsync-net-worker.ts'], outfile: 'dist/lipsync-net-worker.js', bundle: true, platform: 'browser', format: 'esm', minify: true, target: 'es2022', logLevel: 'warning' });
console.log('dist/lipsync-net-worker.js written');
