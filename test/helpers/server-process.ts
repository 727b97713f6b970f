/**
 * A StreamForge server as a separate OS process (the compiled build, as `npm start` runs it), for
 * tests that kill it with SIGKILL and start it again on the same port and data directory
 * (`restartableServer` does the bookkeeping of that cycle).
 * `npm test` builds dist/ first; run `npm run build` before running such a test file alone.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
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

/**
 * Settings for a process that a test kills or stops and starts again: short job leases, so a job
 * the dead process held is taken again within seconds; no enrichment stages (their scratch would
 * be in work/ and their jobs would outlive the ladder); no free-space floor on the test machine.
 */
export const RESTART_TEST_ENV: Readonly<Record<string, string>> = {
  STREAMFORGE_JOB_LEASE_MS: '3000',
  STREAMFORGE_STAGE_CONCURRENCY: '0',
  STREAMFORGE_MIN_FREE_BYTES: '0',
};

/** Polls `check` every 20 ms until it holds or `timeoutMs` passes; the last answer. */
export async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

/** The ffmpeg and ffprobe processes working on files under `dir` (their command lines). */
export function mediaProcessesUnder(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', `ff(mpeg|probe).*${dir}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/**
 * One data directory (a fresh temporary one) and the `streamforge serve` processes that a fault
 * test starts on it one after another, all on the same port: `start`, then `kill` (SIGKILL) or
 * `stop` (SIGTERM), then `start` again. Call `dispose` in `afterAll`.
 */
export interface RestartableServer {
  readonly dataDir: string;
  /** The SQLite file of the embedded database, to read it as the test's oracle. */
  readonly databasePath: string;
  /** http://127.0.0.1:<port>; the port is chosen by the first `start`. */
  readonly baseUrl: string;
  /** Spawns a process and resolves once /health answers. */
  start(): Promise<ChildProcess>;
  /**
   * Sends SIGTERM at once (before the first await, so the caller can observe the shutdown while it
   * runs) and resolves when the process has exited.
   */
  stop(): Promise<{ code: number | null; exitedAtMs: number }>;
  /**
   * SIGKILL; resolves once the process has exited and its ffmpeg children are gone (they run under
   * pdeathsig and die with it within moments), or after 5 s: check `mediaProcesses()` afterwards.
   */
  kill(): Promise<void>;
  /** The ffmpeg/ffprobe processes working in the data directory. */
  mediaProcesses(): string[];
  /** Kills a process still running and deletes the data directory. */
  dispose(): void;
}

export function restartableServer(options: { dataDirPrefix: string; env?: Record<string, string> }): RestartableServer {
  const dataDir = mkdtempSync(path.join(tmpdir(), options.dataDirPrefix));
  let port: number | null = null;
  let running: ChildProcess | null = null;
  const exitOf = (proc: ChildProcess) =>
    new Promise<{ code: number | null; exitedAtMs: number }>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve({ code: proc.exitCode, exitedAtMs: Date.now() });
      else proc.once('exit', (code) => resolve({ code, exitedAtMs: Date.now() }));
    });
  const current = (): ChildProcess => {
    if (!running) throw new Error('no server process is running');
    return running;
  };
  return {
    dataDir,
    databasePath: path.join(dataDir, 'streamforge.db'),
    get baseUrl() {
      if (port === null) throw new Error('start() first: it chooses the port');
      return `http://127.0.0.1:${port}`;
    },
    async start() {
      if (running) throw new Error('a server process is already running on this data directory');
      port ??= await freePort();
      running = await startServerProcess({ port, dataDir, env: options.env });
      return running;
    },
    stop() {
      const proc = current();
      running = null;
      const exited = exitOf(proc);
      proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      const proc = current();
      running = null;
      const exited = exitOf(proc);
      proc.kill('SIGKILL');
      await exited;
      await waitUntil(() => mediaProcessesUnder(dataDir).length === 0, 5000);
    },
    mediaProcesses: () => mediaProcessesUnder(dataDir),
    dispose() {
      running?.kill('SIGKILL');
      running = null;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
