// Runs wrk (Debian's `wrk`) with wrk-paths.lua and returns its figures: the one place the benchmarks
// launch wrk and parse its result line.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'wrk-paths.lua');

/**
 * @param {object} options
 * @param {number[]} options.ports servers on 127.0.0.1; wrk's threads are spread over them
 * @param {string} options.pathFile request paths, one a line
 * @param {number} options.connections
 * @param {number} options.threads
 * @param {number} options.seconds
 * @param {number} [options.delayMs] pause before each request of a connection (paced viewers)
 * @param {number} [options.timeoutS] a request slower than this counts as a timeout (default 5)
 * @param {number} [options.clientAddresses] N > 0: send `X-Forwarded-For` cycling through N addresses (wrk-paths.lua)
 */
export async function runWrk(options) {
  const { ports, pathFile, connections, threads, seconds, delayMs = 0, timeoutS = 5, clientAddresses = 0 } = options;
  const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', `${timeoutS}s`, '-s', script, `http://127.0.0.1:${ports[0]}`];
  const env = {
    ...process.env,
    WRK_PATH_FILE: pathFile,
    WRK_TARGETS: ports.length > 1 ? ports.map((p) => `127.0.0.1:${p}`).join(',') : '',
    WRK_DELAY_MS: String(delayMs),
    WRK_CLIENT_ADDRESSES: String(clientAddresses),
  };
  const output = await new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited with ${code}: ${out}`))));
  });
  const line = output.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`no result from wrk: ${output}`);
  const r = JSON.parse(line.slice('WRK_JSON '.length));
  const durationS = r.durationUs / 1e6;
  return {
    requests: r.requests,
    rps: r.requests / durationS,
    mbps: r.bytes / durationS / 1e6,
    p50Us: r.p50Us,
    p90Us: r.p90Us,
    p99Us: r.p99Us,
    maxUs: r.maxUs,
    meanUs: r.meanUs,
    errors: r.connectErrors + r.readErrors + r.writeErrors + r.statusErrors + r.timeouts,
    errorDetail: { connect: r.connectErrors, read: r.readErrors, write: r.writeErrors, status: r.statusErrors, timeout: r.timeouts },
  };
}
