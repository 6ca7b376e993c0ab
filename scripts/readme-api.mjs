// Rewrites README.md's API section from custom-elements.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { sortedManifest, withApi } from './manifest-lib.mjs';

const manifest = sortedManifest(JSON.parse(readFileSync('custom-elements.json', 'utf8')));
writeFileSync('custom-elements.json', `${JSON.stringify(manifest, null, 2)}\n`);
writeFileSync('README.md', withApi(readFileSync('README.md', 'utf8'), manifest));
console.log('README.md API section regenerated from custom-elements.json');
