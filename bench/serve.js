// Starts and stops `node bin/streamforge.js …` processes for the benchmarks: the one place a bench
// launches StreamForge and waits for it to be ready.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Starts StreamForge on a free port and resolves once /ready answers 200. Embedded means embedded:
 * DATABASE_URL, REDIS_URL and STORAGE_URL are inherited only when `env` sets them.
 * @param {{ name: string, args: string[], env: Record<string, string>, nodeArgs?: string[] }} options `nodeArgs`: options
 *   for node itself (e.g. `--cpu-prof`, which NODE_OPTIONS refuses)
 * @returns {Promise<{ port: number, pid: number, child: import('node:child_process').ChildProcess, stop(): Promise<void> }>}
 */
export async function startServe({ name, args, env, nodeArgs = [] }) {
  const port = await freePort();
  const childEnv = { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' };
  for (const setting of ['DATABASE_URL', 'REDIS_URL', 'STORAGE_URL']) if (!(setting in env)) delete childEnv[setting];
  const child = spawn(process.execPath, [...nodeArgs, path.join(repo, 'bin/streamforge.js'), ...args], { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok, () => false);
    if (ok) return { port, pid: child.pid, child, stop };
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready on ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100)); // polling for readiness, bounded by the deadline
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Polls a video's record until it is ready (or failed, or `timeoutMs` passed); returns the record. */
export async function waitForVideoReady({ base, apiKey, id, timeoutMs }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const video = await (await fetch(`${base}/api/videos/${id}`, { headers: { authorization: `Bearer ${apiKey}` } })).json();
    if (video.status === 'ready') return video;
    if (video.status === 'failed' || Date.now() > deadline) throw new Error(`video ${id}: ${video.status} ${video.error ?? ''}`);
    await new Promise((r) => setTimeout(r, 500)); // polling for a condition, bounded by the deadline
  }
}
