// `npm start`: builds the bundle, starts the reference inference server (ws://127.0.0.1:8084) in
// its `gpu` profile — what a user of a real GPU server sees — and the demo's web server
// (http://127.0.0.1:8000, only what the demo needs), and prints the demo's URL.
//   node scripts/start.mjs [--profile gpu|instant] [--lookahead N] [--infer-ms MS] [--infer-jitter MS]
//        [--batch N] [--latency MS] [--jitter MS] [--port 8000] [--ws-port 8084] [--no-build]
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { startDemoHttp } from './demo-http.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Starts both servers. `server` holds the reference server's options (profile and its parts,
 * latency, jitter…); the profile defaults to `gpu`. `serve` adds [URL prefix, folder] pairs to
 * what the web server hands out (the bench's pages); `pages(inferenceUrl)` returns { path: { html } }
 * pages to serve as well (tests' pages, which need the inference server's URL).
 */
export async function startDemo({ port = 8000, wsPort = 8084, server = {}, serve = [], pages = () => ({}), runBuild = true, log = console.log, onRequest } = {}) {
  if (runBuild) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  const outdir = resolve(root, 'node_modules/.cache/demo-server');
  mkdirSync(outdir, { recursive: true });
  await build({ entryPoints: [resolve(root, 'demo/server/server.ts')], outfile: `${outdir}/server.mjs`, bundle: true, platform: 'node', format: 'esm', packages: 'external', target: 'node20', logLevel: 'warning' });
  const { startServer, resolveOptions, describeTiming } = await import(pathToFileURL(`${outdir}/server.mjs`).href);
  const options = { profile: 'gpu', ...server, port: wsPort, modelsDir: resolve(root, 'demo/models'), log, onRequest };
  const inference = await startServer(options);
  const timing = describeTiming(resolveOptions(options));
  // The page shows which profile it talks to.
  const web = await startDemoHttp({ root, port, serve, extra: { ...pages(inference.url), '/demo/server.json': { url: inference.url, timing } } });
  const url = `http://127.0.0.1:${web.address().port}/demo/`;
  return {
    url,
    inferenceUrl: inference.url,
    timing,
    port: web.address().port,
    async close() {
      await new Promise((r) => web.close(r));
      web.closeAllConnections?.();
      await inference.close();
    },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const USAGE = 'usage: npm start -- [--profile gpu|instant] [--lookahead N] [--infer-ms MS] [--infer-jitter MS] [--batch N] [--latency MS] [--jitter MS] [--port N] [--ws-port N] [--no-build]';
  const numbers = { '--port': 'port', '--ws-port': 'wsPort', '--lookahead': 'lookahead', '--infer-ms': 'inferMs', '--infer-jitter': 'inferJitterMs', '--batch': 'batch', '--latency': 'latencyMs', '--jitter': 'jitterMs' };
  const o = { server: {}, runBuild: true };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    if (flag === '--no-build') o.runBuild = false;
    else if (flag === '--profile' && ['gpu', 'instant'].includes(args[i + 1])) o.server.profile = args[++i];
    else if (flag in numbers && Number.isFinite(Number(args[i + 1])) && Number(args[i + 1]) >= 0) {
      const key = numbers[flag];
      if (key === 'port' || key === 'wsPort') o[key] = Number(args[++i]);
      else o.server[key] = Number(args[++i]);
    } else {
      console.error(`bad argument ${flag}${args[i + 1] !== undefined ? ` ${args[i + 1]}` : ''}\n${USAGE}`);
      process.exit(2);
    }
  }
  const demo = await startDemo(o);
  console.log(`\ninference server: ${demo.inferenceUrl} (${demo.timing})\ndemo:             ${demo.url}\n(Ctrl+C stops both)`);
  const stop = async () => {
    await demo.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
