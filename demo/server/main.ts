/**
 * CLI of the reference inference server.
 *   node scripts/run-ts.mjs demo/server/main.ts [--profile gpu|instant] [--lookahead N] [--infer-ms MS]
 *        [--infer-jitter MS] [--frame-ms MS] [--batch N] [--flush-ms MS] [--port 8084] [--host 127.0.0.1]
 *        [--models demo/models] [--latency MS] [--jitter MS] [--fps N] [--max-frames 250] [--summary-every S]
 *        [--stamp-frame-ids]
 * The profile (default `gpu`, like a real GPU server) sets the model's timing; the flags after it
 * override one part each.
 * Prints `listening on ws://HOST:PORT` once ready (a test harness waits for that line).
 */
import { PROFILES, describeTiming, resolveOptions, startServer, type ServerOptions } from './server.js';

const USAGE = 'usage: main [--profile gpu|instant] [--lookahead N] [--infer-ms MS] [--infer-jitter MS] [--frame-ms MS] [--batch N] [--flush-ms MS] [--port N] [--host ADDR] [--models DIR] [--latency MS] [--jitter MS] [--fps N] [--max-frames N] [--summary-every S] [--stamp-frame-ids]';

function parseArgs(argv: string[]): Partial<ServerOptions> {
  const out: Partial<ServerOptions> = { profile: 'gpu' };
  const number = (flag: string, value: string | undefined, min: number, max: number): number => {
    const n = Number(value);
    if (value === undefined || value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new Error(`${flag} needs a number from ${min} to ${max}, got ${value ?? 'nothing'}`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    switch (flag) {
      case '--profile':
        if (!value || !(value in PROFILES)) throw new Error(`--profile is one of ${Object.keys(PROFILES).join(', ')}, got ${value ?? 'nothing'}`);
        out.profile = value as keyof typeof PROFILES; i++; break;
      case '--lookahead': out.lookahead = Math.floor(number(flag, value, 0, 100)); i++; break;
      case '--infer-ms': out.inferMs = number(flag, value, 0, 60_000); i++; break;
      case '--infer-jitter': out.inferJitterMs = number(flag, value, 0, 60_000); i++; break;
      case '--frame-ms': out.frameMs = number(flag, value, 0, 10_000); i++; break;
      case '--batch': out.batch = Math.floor(number(flag, value, 1, 10_000)); i++; break;
      case '--flush-ms': out.flushMs = number(flag, value, 1, 60_000); i++; break;
      case '--port': out.port = number(flag, value, 0, 65535); i++; break;
      case '--host': if (!value) throw new Error('--host needs an address'); out.host = value; i++; break;
      case '--models': if (!value) throw new Error('--models needs a folder'); out.modelsDir = value; i++; break;
      case '--latency': out.latencyMs = number(flag, value, 0, 60_000); i++; break;
      case '--jitter': out.jitterMs = number(flag, value, 0, 60_000); i++; break;
      case '--fps': out.fps = number(flag, value, 0, 10_000); i++; break;
      case '--max-frames': out.maxFrames = Math.floor(number(flag, value, 1, 100_000)); i++; break;
      case '--summary-every': out.summaryEverySec = number(flag, value, 0, 3600); i++; break;
      case '--stamp-frame-ids': out.stampFrameIds = true; break;
      case '--help': case '-h': console.log(USAGE); process.exit(0);
      default: throw new Error(`unknown flag ${flag}`);
    }
  }
  return out;
}

let options: Partial<ServerOptions>;
try {
  options = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}

// A closed log pipe must not take the server down.
process.stdout.on('error', () => {});
const server = await startServer(options);
const o = resolveOptions(options);
console.log(`listening on ${server.url} (models from ${o.modelsDir}; ${describeTiming(o)}${o.stampFrameIds ? '; patches stamped with frame ids' : ''})`);
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
