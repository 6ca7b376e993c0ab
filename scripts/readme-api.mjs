// Rewrites README.md's API section from custom-elements.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { withApi } from './manifest-lib.mjs';

const manifest = JSON.parse(readFileSync('custom-elements.json', 'utf8'));
writeFileSync('README.md', withApi(readFileSync('README.md', 'utf8'), manifest));
console.log('README.md API section regenerated from custom-elements.json');
