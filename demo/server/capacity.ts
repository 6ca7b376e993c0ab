/**
 * Capacity of the reference server: N clients at 25 requests/s each (real speech chunks) for a
 * few seconds against a server in its own process; prints frames/s answered and p50/p95 answer
 * time (send → receive on loopback). Run: npm run capacity [-- --profile gpu --seconds 10 --clients 1,4,8]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { CHUNK_SAMPLES, decodeResponse, encodeRequest } from '../../src/core/protocol.js';
import { readWav, TestClient } from '../../test/node/helpers.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const seconds = Number(arg('--seconds', '10'));
const counts = arg('--clients', '1,4,8').split(',').map(Number);
const profile = arg('--profile', 'gpu');

const server = spawn(process.execPath, ['scripts/run-ts.mjs', 'demo/server/main.ts', '--profile', profile, '--port', '0', '--summary-every', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
// Keep reading the server's log (the connection lines) so its stdout never blocks.
const url = await new Promise<string>((resolve, reject) => {
  let seen = '';
  server.stdout.on('data', (d) => {
    seen += String(d);
    const m = /listening on (ws:\/\/\S+)/.exec(seen);
    if (m) resolve(m[1]!);
  });
  server.on('close', () => reject(new Error(`server exited: ${seen}`)));
});
const speech = readWav('demo/audio/speech.wav').samples;
const chunks = Math.floor(speech.length / CHUNK_SAMPLES);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const rows: string[] = [];
for (const n of counts) {
  const clients = await Promise.all(Array.from({ length: n }, async () => {
    const c = new TestClient(url);
    await c.open();
    return c;
  }));
  const sentAt = new Map<string, number>();
  const times: number[] = [];
  let answered = 0;
  clients.forEach((c, ci) => c.ws.on('message', (data: Buffer) => {
    const r = decodeResponse(data);
    const t0 = sentAt.get(`${ci}:${r.frameId}`);
    if (t0 !== undefined && r.status === 0) {
      times.push(performance.now() - t0);
      answered++;
    }
  }));
  const start = performance.now();
  const total = seconds * 25;
  for (let k = 0; k < total; k++) {
    // Pace at 40 ms a chunk from the start, not from the previous send.
    const due = start + k * 40 - performance.now();
    if (due > 0) await new Promise((r) => setTimeout(r, due));
    clients.forEach((c, ci) => {
      sentAt.set(`${ci}:${k}`, performance.now());
      c.ws.send(encodeRequest({ model: 'demo', frameId: k, samples: speech.subarray((k % chunks) * CHUNK_SAMPLES, ((k % chunks) + 1) * CHUNK_SAMPLES) }));
    });
  }
  await Promise.all(clients.map((c) => c.until(() => c.messages.length >= total, 30_000).catch(() => undefined)));
  const elapsed = (performance.now() - start) / 1000;
  times.sort((a, b) => a - b);
  rows.push(`| ${n} | ${(n * 25).toFixed(0)} | ${(answered / elapsed).toFixed(1)} | ${pct(times, 50).toFixed(1)} | ${pct(times, 95).toFixed(1)} | ${answered}/${n * total} |`);
  clients.forEach((c) => c.close());
}
server.kill('SIGTERM');
await once(server, 'close');
console.log(`${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, profile ${profile}, ${seconds} s per row\n`);
console.log('| clients | offered frames/s | answered frames/s | p50 answer ms | p95 answer ms | answered |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
