/**
 * Whether ffmpeg and ffprobe can run, for /ready, without spawning them per request: `-version` runs
 * once, when the context starts, and each check afterwards only asks the file system whether the
 * binaries found then are still executable (a package upgrade or a broken volume removes them).
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { checkFfmpeg } from '../media/ffmpeg-check.js';

export interface FfmpegAvailability {
  /** `ok`, or why ffmpeg cannot be used. */
  check(): Promise<string>;
}

export function createFfmpegAvailability(options: { ffmpegPath: string; ffprobePath: string }): FfmpegAvailability {
  // Started now, awaited by the first check; never rejects.
  const startup: Promise<{ ok: true; binaries: string[] } | { ok: false; reason: string }> = checkFfmpeg(options).then(
    async () => ({ ok: true as const, binaries: await Promise.all([resolveExecutable(options.ffmpegPath), resolveExecutable(options.ffprobePath)]) }),
    (err: unknown) => ({ ok: false as const, reason: (err as Error).message }),
  );
  return {
    async check() {
      const found = await startup;
      if (!found.ok) return found.reason;
      for (const binary of found.binaries) {
        try {
          await access(binary, constants.X_OK);
        } catch (err) {
          return `${binary} is no longer executable: ${(err as Error).message}`;
        }
      }
      return 'ok';
    },
  };
}

/** The file a bare command name runs (first match on PATH); a path is taken as it is. */
async function resolveExecutable(command: string): Promise<string> {
  if (command.includes('/')) return path.resolve(command);
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return command;
}
