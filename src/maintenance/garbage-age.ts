/**
 * How old a piece of garbage is. Version prefixes and stage run ids are named
 * `<Date.now() in base 36><6 hex>` (process-video.ts, stage-runner.ts), so their age is in their name
 * and costs no request; anything else is dated by its blob's modification time.
 */
import type { BlobStore } from '../storage/blob-store.js';

/** Names minted from 2020 on: a misparse (someone else's name) never looks old by accident. */
const EARLIEST_MS = Date.UTC(2020, 0, 1);

/** The creation time in a version or run id, or null when the name is not one of ours. */
export function timeInName(name: string): number | null {
  const match = /^([0-9a-z]{8,9})[0-9a-f]{6}$/.exec(name);
  if (!match) return null;
  const ms = parseInt(match[1]!, 36);
  return ms >= EARLIEST_MS ? ms : null;
}

/** When the blobs under a prefix were made: from the name, else the first blob's mtime; null when none is left. */
export async function prefixCreatedAt(store: BlobStore, name: string, keys: readonly string[]): Promise<number | null> {
  const named = timeInName(name);
  if (named !== null) return named;
  for (const key of keys) {
    const stat = await store.stat(key);
    if (stat) return stat.mtimeMs;
  }
  return null;
}
