// `npm test` after type-check and build: the Node tests (node:test) and the browser tests
// (web-test-runner in Chromium), then one combined "total: N passed, N failed" line.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

function run(cmd, args) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('close', (code) => resolvePromise({ code: code ?? 1, out }));
  });
}

const only = process.argv[2]; // "node" or "browser" to run one half
const totals = { passed: 0, failed: 0, skipped: 0 };
let exit = 0;

if (only !== 'browser') {
  const outdir = resolve('node_modules/.cache/node-tests');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const entries = readdirSync('test/node').filter((f) => f.endsWith('.test.ts')).map((f) => join('test/node', f));
  await build({ entryPoints: entries, outdir, bundle: true, platform: 'node', format: 'esm', packages: 'external', target: 'node20', outExtension: { '.js': '.mjs' }, logLevel: 'warning' });
  const files = readdirSync(outdir).filter((f) => f.endsWith('.mjs')).map((f) => join(outdir, f));
  const { code, out } = await run(process.execPath, ['--test', '--test-reporter=spec', '--test-timeout=120000', ...files]);
  const num = (re) => Number(out.match(re)?.[1] ?? 0);
  totals.passed += num(/ℹ pass (\d+)/);
  totals.failed += num(/ℹ fail (\d+)/) + num(/ℹ cancelled (\d+)/);
  totals.skipped += num(/ℹ skipped (\d+)/) + num(/ℹ todo (\d+)/);
  if (code !== 0) exit = 1;
}

if (only !== 'node') {
  const { code, out } = await run(process.execPath, ['node_modules/@web/test-runner/dist/bin.js']);
  const m = [...out.matchAll(/^(\d+) passed, (\d+) failed, (\d+) skipped$/gm)].at(-1);
  if (m) {
    totals.passed += Number(m[1]);
    totals.failed += Number(m[2]);
    totals.skipped += Number(m[3]);
  } else totals.failed += 1;
  if (code !== 0) exit = 1;
}

if (totals.passed === 0) exit = 1;
console.log(`\ntotal: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(exit || (totals.failed > 0 ? 1 : 0));
