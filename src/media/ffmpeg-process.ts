/**
 * Runs ffmpeg/ffprobe safely: argument arrays (no shell), a wall-clock timeout, SIGTERM then SIGKILL
 * after a grace period (a stuck ffmpeg ignores SIGTERM), and — through util-linux `setpriv
 * --pdeathsig KILL` — death of the child when this Node process dies, even by kill -9, so no
 * orphaned encoder outlives a crashed worker. With `limits`, util-linux `prlimit` caps the child's
 * memory and CPU time (process-limits.ts): `setpriv … -- prlimit … -- ffmpeg …`, one process, since
 * each wrapper execs the next.
 */
import { spawn, spawnSync } from 'node:child_process';
import { FfmpegError, TimeoutError } from '../errors.js';
import { hasPrlimit, limitExceeded, type ProcessLimits, prlimitArgs } from './process-limits.js';

export interface RunProcessOptions {
  command: string;
  args: string[];
  timeoutMs: number;
  killGraceMs?: number;
  signal?: AbortSignal;
  cwd?: string;
  /** Variables added to this process's environment for the child. */
  env?: Record<string, string>;
  /** Called with each complete stdout line (e.g. `-progress pipe:1` key=value pairs). */
  onStdoutLine?: (line: string) => void;
  /** Keep stdout in the result (ffprobe JSON). */
  captureStdout?: boolean;
  /** Bytes of stderr kept for error messages. */
  stderrTailBytes?: number;
  /** Memory and CPU-time caps; running into one rejects with a MediaLimitError. */
  limits?: ProcessLimits;
}

export interface RunProcessResult {
  stdout: string;
  stderrTail: string;
  durationMs: number;
}

let setprivChecked: boolean | undefined;
/** Whether `setpriv --pdeathsig` works here (util-linux ≥ 2.33; present on Debian 10+). */
export function hasPdeathsig(): boolean {
  if (setprivChecked === undefined) {
    const probe = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' });
    setprivChecked = probe.status === 0;
  }
  return setprivChecked;
}

export function runProcess(options: RunProcessOptions): Promise<RunProcessResult> {
  const { command, args, timeoutMs, killGraceMs = 3000, signal, cwd } = options;
  const tailBytes = options.stderrTailBytes ?? 8192;
  const started = Date.now();
  const limits = options.limits ?? {};
  // Without prlimit (not Linux) the run goes ahead unlimited, as without setpriv: the probe-time limits still hold.
  const limited = hasPrlimit() ? ['prlimit', ...prlimitArgs(limits), '--', command, ...args] : [command, ...args];
  const [file, argv] = hasPdeathsig()
    ? ['setpriv', ['--pdeathsig', 'KILL', '--', ...limited]]
    : [limited[0]!, limited.slice(1)];

  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const env = options.env ? { ...process.env, ...options.env } : undefined;
    const child = spawn(file, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stdoutPartial = '';
    let stderrTail = '';
    let timedOut = false;
    let abortReason: unknown;
    let killTimer: NodeJS.Timeout | undefined;

    const stop = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), killGraceMs);
      killTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const onAbort = () => {
      abortReason = signal?.reason ?? new Error('aborted');
      stop();
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (options.captureStdout) stdout += chunk;
      if (options.onStdoutLine) {
        const lines = (stdoutPartial + chunk).split('\n');
        stdoutPartial = lines.pop() ?? '';
        for (const line of lines) options.onStdoutLine(line);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-tailBytes);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const code = (err as NodeJS.ErrnoException).code;
      reject(
        code === 'ENOENT'
          ? new FfmpegError(`${command} not found on PATH — install it (Debian: apt-get install -y ffmpeg)`, null, null, '')
          : err,
      );
    });
    child.on('close', (exitCode, exitSignal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
      const durationMs = Date.now() - started;
      const stoppedByUs = timedOut || abortReason !== undefined;
      const overLimit = exitCode === 0 ? null : limitExceeded({ command, limits, exitCode, exitSignal, stderrTail, stoppedByUs, durationMs });
      if (timedOut) {
        reject(new TimeoutError(`${command} exceeded its ${Math.round(timeoutMs / 1000)} s time limit and was killed`));
      } else if (abortReason !== undefined) {
        reject(abortReason);
      } else if (exitCode === 0) {
        resolve({ stdout, stderrTail, durationMs });
      } else if (exitCode === 127 && /(setpriv|prlimit): failed to execute/.test(stderrTail)) {
        // Under setpriv/prlimit a missing binary is the wrapper's exit 127, not a spawn ENOENT.
        reject(new FfmpegError(`${command} not found — install it (Debian: apt-get install -y ffmpeg)`, exitCode, null, stderrTail));
      } else if (overLimit) {
        reject(overLimit);
      } else {
        const lastLine = lastMeaningfulLine(stderrTail);
        reject(
          new FfmpegError(
            `${command} failed (${exitSignal ?? `exit ${exitCode}`})${lastLine ? `: ${lastLine}` : ''}`,
            exitCode,
            exitSignal,
            stderrTail,
          ),
        );
      }
    });
  });
}

/** The last stderr line that says something, for a human-readable failure reason. */
export function lastMeaningfulLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(Conversion failed!|Exiting normally)/.test(l));
  return (lines.at(-1) ?? '').slice(0, 300);
}
