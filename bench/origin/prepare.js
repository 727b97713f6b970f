// The origin benchmark's data: a StreamForge data directory made by StreamForge itself. A real
// `streamforge serve` (bench/serve.js) gets the same 1080p clip uploaded through its API, as public
// and as private videos, and transcodes each into its ladder; the directory (SQLite database, blobs)
// is kept and reused by later runs, which serve it with another `serve` process. Nothing here writes
// a segment or a database row itself.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServe, waitForVideoReady } from '../serve.js';

/** Settings every `serve` of this bench runs with, preparation and measurement alike. */
export function serveEnv({ dataDir, apiKey }) {
  return {
    LOG_LEVEL: 'warn',
    STREAMFORGE_DATA_DIR: dataDir,
    STREAMFORGE_MIN_FREE_BYTES: '0',
    // Enrichment stages (thumbnails, storyboards, quality) would run during the measurement: this
    // bench is about serving. Jobs queued while preparing would be picked up later, so they stay
    // off in the measured process too.
    STREAMFORGE_STAGE_CONCURRENCY: '0',
    STREAMFORGE_API_KEY: apiKey,
  };
}

/**
 * Returns `{ dataDir, apiKey, videos: [{ id, visibility, hls }] }`, transcoding first if the data
 * directory is missing or was made with other settings.
 */
export async function prepareData({ dataDir, videosPerVisibility, clipSeconds }) {
  const manifestFile = path.join(dataDir, 'bench-origin.json');
  const want = { videosPerVisibility, clipSeconds, version: 1 };
  if (existsSync(manifestFile)) {
    const saved = JSON.parse(readFileSync(manifestFile, 'utf8'));
    if (JSON.stringify(saved.settings) === JSON.stringify(want)) return { dataDir, apiKey: saved.apiKey, videos: saved.videos };
  }
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const apiKey = `bench-${randomBytes(16).toString('hex')}`;
  const clip = path.join(dataDir, 'source.mp4');
  const started = Date.now();
  console.log(`preparing ${dataDir}: ${videosPerVisibility} public + ${videosPerVisibility} private uploads of a ${clipSeconds} s 1080p clip, transcoded by streamforge serve …`);
  // ≈ 1.2 Mb/s noisy 1080p: the top rung's 4 s segments come out near the field notes' ≈ 600 KB.
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${clipSeconds}`,
    '-vf', 'noise=alls=12:allf=t',
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
    '-b:v', '1200k', '-maxrate', '1200k', '-bufsize', '2400k', '-movflags', '+faststart', clip,
  ]);
  const serve = await startServe({ name: 'streamforge (transcoding)', args: ['serve'], env: serveEnv({ dataDir, apiKey }) });
  try {
    const base = `http://127.0.0.1:${serve.port}`;
    const ids = [];
    for (const visibility of ['public', 'private']) {
      for (let i = 0; i < videosPerVisibility; i++) {
        const form = new FormData();
        form.append('title', `Origin bench ${visibility} ${i + 1}`);
        form.append('visibility', visibility);
        form.append('file', await openAsBlob(clip), 'clip.mp4');
        const res = await fetch(`${base}/api/videos`, { method: 'POST', body: form, headers: { authorization: `Bearer ${apiKey}` } });
        if (res.status !== 201) throw new Error(`upload: HTTP ${res.status} ${await res.text()}`);
        ids.push((await res.json()).id);
      }
    }
    const videos = [];
    for (const id of ids) {
      const video = await waitForVideoReady({ base, apiKey, id, timeoutMs: 30 * 60_000 });
      videos.push({ id, visibility: video.visibility, hls: video.playback.hls });
    }
    rmSync(clip);
    writeFileSync(manifestFile, JSON.stringify({ settings: want, apiKey, videos }, null, 2));
    console.log(`prepared in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return { dataDir, apiKey, videos };
  } finally {
    await serve.stop();
  }
}

