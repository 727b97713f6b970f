/**
 * A published rendition as one local fragmented MP4 (init segment + media segments in playlist
 * order), read back from the blob store: what enrichment stages decode instead of the original
 * when a rendition suffices (it is already rotated, tone-mapped, deinterlaced and yuv420p).
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../../storage/blob-store.js';

/** Init and media segment URIs of a media playlist we wrote (src/pipeline/hls-playlist.ts). */
export function playlistFiles(playlist: string): { initUri: string; segmentUris: string[] } {
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1];
  if (!init) throw new Error('media playlist has no EXT-X-MAP');
  const segmentUris = playlist.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  return { initUri: init, segmentUris };
}

export async function assembleRendition(options: { store: BlobStore; keyPrefix: string; rendition: string; outPath: string }): Promise<string> {
  const { store, keyPrefix, rendition, outPath } = options;
  const dirKey = `${keyPrefix}${rendition}/`;
  const { initUri, segmentUris } = playlistFiles((await store.getBytes(`${dirKey}index.m3u8`)).toString('utf8'));
  const out = await open(outPath, 'w');
  try {
    for (const uri of [initUri, ...segmentUris]) {
      // Our playlists name files beside themselves; anything else is not ours to read.
      if (uri !== path.posix.basename(uri)) throw new Error(`unexpected segment URI ${uri}`);
      await out.write(await store.getBytes(`${dirKey}${uri}`));
    }
  } finally {
    await out.close();
  }
  return outPath;
}
