// Prints the gzipped size of the single-file bundle and fails above the budget.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 32 * 1024;
const file = 'dist/lipsync-elements.min.js';
const raw = readFileSync(file);
const gz = gzipSync(raw, { level: 9 }).length;
const kb = (n) => (n / 1024).toFixed(2);
console.log(`${file}: ${kb(raw.length)} KB minified, ${kb(gz)} KB gzipped (budget ${kb(BUDGET_BYTES)} KB)`);
if (gz > BUDGET_BYTES) {
  console.error(`size budget exceeded by ${kb(gz - BUDGET_BYTES)} KB`);
  process.exit(1);
}
