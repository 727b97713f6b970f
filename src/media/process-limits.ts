/**
 * Kernel resource limits (setrlimit) for one ffmpeg/ffprobe child, applied through util-linux
 * `prlimit … -- command` in the same wrapper as `setpriv --pdeathsig` (ffmpeg-process.ts). They are the
 * backstop behind the probe-time limits (probe-mapping.ts, output-estimate.ts): whatever a hostile
 * file makes a decoder allocate or compute, one process cannot take more than this.
 *
 * - Memory is RLIMIT_DATA: heap and private writable mappings (thread stacks included, shared
 *   libraries and PROT_NONE reservations not). It counts reserved, not resident, memory, so it grows
 *   with the thread count: the 8K HEVC corpus file's 7-rung ladder peaked at 2.3 GB here (2 cores,
 *   1.5 GB resident) and at 7.4 GB with the threads of a 16-core host. Hence the default scales with
 *   the cores (config.ts).
 * - CPU is RLIMIT_CPU over all threads. At the limit the kernel sends SIGXCPU: ffprobe dies of it,
 *   ffmpeg catches it like SIGTERM and exits with 255; CPU_KILL_GRACE_SEC later the hard limit SIGKILLs.
 * - Core dumps are always off: a decoder crashed by a crafted file must not leave its memory on disk.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { MediaLimitError } from '../errors.js';

export interface ProcessLimits {
  /** RLIMIT_DATA in bytes; 0 or absent: unlimited. */
  memoryBytes?: number;
  /** RLIMIT_CPU in seconds of CPU time (all threads); 0 or absent: unlimited. */
  cpuSeconds?: number;
}

let prlimitChecked: boolean | undefined;
/** Whether util-linux `prlimit` can run a command here (Debian: package util-linux, always installed). */
export function hasPrlimit(): boolean {
  if (prlimitChecked === undefined) {
    const probe = spawnSync('prlimit', ['--core=0', '--', 'true'], { stdio: 'ignore' });
    prlimitChecked = probe.status === 0;
  }
  return prlimitChecked;
}

/** CPU seconds between SIGXCPU (soft limit) and SIGKILL (hard limit): time for ffmpeg to finish its files. */
export const CPU_KILL_GRACE_SEC = 10;

/** `prlimit` options for these limits (hard limits too, so the child cannot raise them again). */
export function prlimitArgs(limits: ProcessLimits): string[] {
  const args = ['--core=0'];
  if (limits.memoryBytes) args.push(`--data=${Math.floor(limits.memoryBytes)}`);
  if (limits.cpuSeconds) {
    const soft = Math.ceil(limits.cpuSeconds);
    args.push(`--cpu=${soft}:${soft + CPU_KILL_GRACE_SEC}`);
  }
  return args;
}

/**
 * The limit a failed run ran into, as a permanent error, or null when the failure looks like anything
 * else. Running out is deterministic for a given file and limit, so retrying would only repeat it.
 */
export function limitExceeded(options: {
  command: string;
  limits: ProcessLimits;
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  stderrTail: string;
  /** We sent it a signal (time-out, abort): then an exit by signal is ours, not a limit's. */
  stoppedByUs: boolean;
  /** Wall-clock run time: a process cannot have used more CPU than this × the cores. */
  durationMs: number;
}): MediaLimitError | null {
  const { limits, exitCode, exitSignal, stderrTail, stoppedByUs } = options;
  const name = commandName(options.command);
  // SIGXCPU kills ffprobe; ffmpeg catches it and exits 255, its code for "stopped by a signal" (a
  // Ctrl-C or someone's SIGTERM too: hence the plausibility check). A bare SIGKILL is not counted: it
  // may as well be the kernel's OOM killer.
  const couldHaveUsedIt = limits.cpuSeconds !== undefined && (options.durationMs / 1000) * availableParallelism() >= limits.cpuSeconds;
  const cpuStop = exitSignal === 'SIGXCPU' || (!stoppedByUs && exitCode === 255 && couldHaveUsedIt);
  if (limits.cpuSeconds && cpuStop) {
    return new MediaLimitError(`${name} used up its CPU-time limit of ${Math.ceil(limits.cpuSeconds)} s processing this file`);
  }
  // ENOMEM surfaces as ffmpeg's error string, x264's own message, or a C++ library's bad_alloc abort.
  if (limits.memoryBytes && /Cannot allocate memory|malloc of size \d+ failed|out of memory|bad_alloc/i.test(stderrTail)) {
    return new MediaLimitError(
      `processing this file needs more memory than the limit of ${formatBytes(limits.memoryBytes)} per ${name} process`,
    );
  }
  return null;
}

function commandName(command: string): string {
  return command.split('/').at(-1) || command;
}

function formatBytes(bytes: number): string {
  const GiB = 1024 ** 3;
  return bytes >= GiB ? `${+(bytes / GiB).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}
