// Writes dist/lipsync-capture-worklet.js and dist/lipsync-frames-worker.js (the capture worklet
// and the frames Worker as same-origin files, for pages whose Content-Security-Policy forbids
// blob: scripts), and dist/lipsync-net-worker.js (the session's network Worker).
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = resolve('node_modules/.cache/emit-worklet');
mkdirSync(dir, { recursive: true });
for (const [entry, file, exported] of [
  ['src/platform/capture-worklet.ts', 'lipsync-capture-worklet.js', 'workletSource'],
  ['src/platform/frames-worker.ts', 'lipsync-frames-worker.js', 'framesWorkerSource'],
]) {
  const outfile = resolve(dir, `${file}.mjs`);
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'neutral', format: 'esm', minify: true, logLevel: 'warning' });
  const source = (await import(pathToFileURL(outfile).href))[exported];
  writeFileSync(`dist/${file}`, `${source()}\n`);
  console.log(`dist/${file} written`);
}

// The network Worker: a module Worker loaded from next to the bundle (its imports bundled in).
await build({ entryPoints: ['src/platform/lipsync-net-worker.ts'], outfile: 'dist/lipsync-net-worker.js', bundle: true, platform: 'browser', format: 'esm', minify: true, target: 'es2022', logLevel: 'warning' });
console.log('dist/lipsync-net-worker.js written');
