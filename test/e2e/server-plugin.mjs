// A web-test-runner plugin that runs inference servers for the browser tests, driven by the
// `lipsync-server` command (executeServerCommand): the project's reference server, and a few
// misbehaving servers for the protocol-error paths. Loopback only; every server stops with the run.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WebSocketServer } from 'ws';

const outdir = resolve('node_modules/.cache/wtr-server');
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: { server: 'demo/server/server.ts', protocol: 'src/core/protocol.ts', patch: 'src/core/frame-patch-writer.ts' },
  outdir, bundle: true, platform: 'node', format: 'esm', packages: 'external', target: 'node20', outExtension: { '.js': '.mjs' }, logLevel: 'warning',
});
const { startServer } = await import(pathToFileURL(`${outdir}/server.mjs`).href);
const protocol = await import(pathToFileURL(`${outdir}/protocol.mjs`).href);
const { writeFramePatch } = await import(pathToFileURL(`${outdir}/patch.mjs`).href);

const servers = new Map(); // port → { close(), received?, options }

async function startReference(options) {
  const received = [];
  const server = await startServer({
    port: options.port ?? 0,
    // A timing profile (`instant`, `gpu`) and any of its parts, as the CLI takes them.
    ...Object.fromEntries(['profile', 'lookahead', 'inferMs', 'inferJitterMs', 'frameMs', 'batch', 'flushMs'].filter((k) => options[k] !== undefined).map((k) => [k, options[k]])),
    latencyMs: options.latencyMs ?? 0,
    jitterMs: options.jitterMs ?? 0,
    fps: options.fps ?? 0,
    summaryEverySec: 0,
    log: () => {},
    onRequest: (connection, request) => {
      if (received.length < 5000) received.push({ connection, frameId: request.frameId, samples: options.record ? Array.from(request.samples) : undefined, at: Date.now() });
    },
  });
  servers.set(server.port, { close: () => server.close(), received, options: { ...options, kind: 'reference' } });
  return { url: server.url, port: server.port };
}

/** Servers that break SPEC §1 in one chosen way, to provoke the client's error paths. */
async function startFault(options) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0 });
  await new Promise((r, j) => { wss.once('listening', r); wss.once('error', j); });
  const received = [];
  const jpeg = Buffer.from(options.jpeg ?? [], 'base64');
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const bytes = new Uint8Array(data);
      const frameId = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
      received.push({ frameId, at: Date.now() });
      switch (options.kind) {
        case 'garbage': ws.send(new Uint8Array([1, 2, 3, 4, 5, 6, 7])); break;
        case 'text': ws.send('not binary'); break;
        case 'bad-zip': ws.send(protocol.encodeResponse({ status: 0, frameId, zip: new Uint8Array(40) })); break;
        case 'unknown-id': ws.send(protocol.encodeResponse({ status: 0, frameId: frameId + 100000, zip: writeFramePatch(jpeg, [300, 700, 400, 780]) })); break;
        case 'error-status': ws.send(protocol.encodeResponse({ status: 7, frameId, message: 'model overloaded' })); break;
        case 'good-late': setTimeout(() => ws.readyState === 1 && ws.send(protocol.encodeResponse({ status: 0, frameId, zip: writeFramePatch(jpeg, [300, 700, 400, 780]) })), options.delayMs ?? 0); break;
        case 'silent': default: break;
      }
    });
  });
  const port = wss.address().port;
  servers.set(port, {
    close: () => new Promise((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); }),
    received,
    options: { ...options },
  });
  return { url: `ws://127.0.0.1:${port}`, port };
}

export function lipsyncServerPlugin() {
  return {
    name: 'lipsync-server',
    async executeCommand({ command, payload = {} }) {
      if (command !== 'lipsync-server') return undefined;
      const { action, port } = payload;
      switch (action) {
        case 'start': return startReference(payload);
        case 'start-fault': return startFault(payload);
        case 'stop': {
          const s = servers.get(port);
          servers.delete(port);
          await s?.close();
          return { stopped: Boolean(s) };
        }
        case 'restart': {
          const s = servers.get(port);
          if (!s) throw new Error(`no server on ${port}`);
          servers.delete(port);
          await s.close();
          if (payload.downMs) await new Promise((r) => setTimeout(r, payload.downMs));
          return s.options.kind === 'reference' ? startReference({ ...s.options, port }) : startFault({ ...s.options, port });
        }
        case 'received': return servers.get(port)?.received ?? [];
        default: throw new Error(`unknown action ${action}`);
      }
    },
    async serverStop() {
      await Promise.all([...servers.values()].map((s) => s.close()));
      servers.clear();
    },
  };
}
