/**
 * A StreamForge server as a separate OS process (the compiled build, as `npm start` runs it), for
 * tests that kill it with SIGKILL and start it again on the same port and data directory.
 * `npm test` builds dist/ first; run `npm run build` before running such a test file alone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { TEST_AUTH_ENV } from './app-server.js';
import { repoRoot } from './media.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Spawns `streamforge serve` and resolves once /health answers. */
export async function startServerProcess(options: {
  port: number;
  dataDir: string;
  env?: Record<string, string>;
}): Promise<ChildProcess> {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  }
  const proc = spawn(process.execPath, [path.join(repoRoot, 'bin/streamforge.js'), 'serve'], {
    env: {
      ...process.env,
      PORT: String(options.port),
      HOST: '127.0.0.1',
      STREAMFORGE_DATA_DIR: options.dataDir,
      STREAMFORGE_SEGMENT_SECONDS: '2',
      LOG_LEVEL: 'warn',
      ...TEST_AUTH_ENV,
      ...options.env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${options.port}/health`)).ok) return proc;
    } catch {
      /* not listening yet */
    }
    if (proc.exitCode !== null) throw new Error(`server exited with code ${proc.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error('server did not start within 20 s');
}
