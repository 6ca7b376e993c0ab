// Writes dist/lipsync-capture-worklet.js: the capture worklet as a same-origin file, for pages
// whose Content-Security-Policy forbids blob: scripts (set LipsyncSessionElement.workletUrl).
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const outfile = resolve('node_modules/.cache/emit-worklet/capture-worklet.mjs');
mkdirSync(resolve('node_modules/.cache/emit-worklet'), { recursive: true });
await build({ entryPoints: ['src/platform/capture-worklet.ts'], outfile, bundle: true, platform: 'neutral', format: 'esm', minify: true, logLevel: 'warning' });
const { workletSource } = await import(pathToFileURL(outfile).href);
writeFileSync('dist/lipsync-capture-worklet.js', `${workletSource()}\n`);
console.log('dist/lipsync-capture-worklet.js written');
