// `npm start`: builds the bundle, starts the reference inference server (ws://127.0.0.1:8084)
// and a static server for the repository (http://127.0.0.1:8000), and prints the demo's URL.
//   node scripts/start.mjs [--port 8000] [--ws-port 8084] [--latency MS] [--jitter MS] [--no-build]
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { startDevServer } from '@web/dev-server';
import { rangeMiddleware } from './range-middleware.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function startDemo({ port = 8000, wsPort = 8084, latencyMs = 0, jitterMs = 0, runBuild = true, log = console.log, onRequest } = {}) {
  if (runBuild) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  const outdir = resolve(root, 'node_modules/.cache/demo-server');
  mkdirSync(outdir, { recursive: true });
  await build({ entryPoints: [resolve(root, 'demo/server/server.ts')], outfile: `${outdir}/server.mjs`, bundle: true, platform: 'node', format: 'esm', packages: 'external', target: 'node20', logLevel: 'warning' });
  const { startServer } = await import(pathToFileURL(`${outdir}/server.mjs`).href);
  const inference = await startServer({ port: wsPort, modelsDir: resolve(root, 'demo/models'), latencyMs, jitterMs, log, onRequest });
  const web = await startDevServer({
    config: { rootDir: root, port, hostname: '127.0.0.1', middleware: [rangeMiddleware(root)] },
    readCliArgs: false,
    readFileConfig: false,
    logStartMessage: false,
  });
  const url = `http://127.0.0.1:${web.server?.address()?.port ?? web.config.port}/demo/`;
  return {
    url,
    inferenceUrl: inference.url,
    async close() {
      await web.stop();
      await inference.close();
    },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const value = (flag, fallback) => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const demo = await startDemo({
    port: value('--port', 8000),
    wsPort: value('--ws-port', 8084),
    latencyMs: value('--latency', 0),
    jitterMs: value('--jitter', 0),
    runBuild: !args.includes('--no-build'),
  });
  console.log(`\ninference server: ${demo.inferenceUrl}\ndemo:             ${demo.url}\n(Ctrl+C stops both)`);
  const stop = async () => {
    await demo.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
