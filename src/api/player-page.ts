/**
 * A minimal watch page (/watch/:id) on hls.js, or dash.js with ?player=dash, plus the players'
 * scripts from node_modules. It makes every stream watchable from a browser today; the full web app
 * (#3) replaces it as the viewer's page.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ID_PATTERN } from '../ids.js';

const require = createRequire(import.meta.url);

/** The installed package's folder (found from its entry point: not every package exports package.json). */
function packageDir(pkg: string): string {
  let dir = path.dirname(require.resolve(pkg));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

function vendorFile(pkg: string, relative: string): Buffer {
  return readFileSync(path.join(packageDir(pkg), relative));
}

export function registerPlayerPage(app: FastifyInstance): void {
  // Read once at start-up: two immutable files, served from memory.
  const scripts: Record<string, Buffer> = {
    'hls.min.js': vendorFile('hls.js', 'dist/hls.min.js'),
    'dash.all.min.js': vendorFile('dashjs', 'dist/modern/umd/dash.all.min.js'),
  };
  app.get('/vendor/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    const body = scripts[file];
    if (!body) return reply.code(404).send({ error: { code: 'not_found', message: 'no such script' } });
    return reply
      .type('text/javascript; charset=utf-8')
      .header('Cache-Control', 'public, max-age=86400')
      .header('X-Content-Type-Options', 'nosniff')
      .send(body);
  });

  app.get('/watch/:id', {
    schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: ID_PATTERN } }, required: ['id'] } },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    return reply
      .type('text/html; charset=utf-8')
      .header('Content-Security-Policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; media-src 'self' blob:; worker-src 'self' blob:; img-src 'self' data:")
      .send(watchPage(id));
  });
}

function watchPage(id: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>StreamForge</title><link rel="icon" href="data:,">
<style>
  body { margin: 0; background: #0b0d12; color: #e8eaf0; font: 15px/1.5 system-ui, sans-serif; }
  main { max-width: 960px; margin: 0 auto; padding: 16px; }
  video { width: 100%; background: #000; border-radius: 8px; aspect-ratio: 16 / 9; }
  #status { color: #9aa3b2; }
</style>
<script src="/vendor/hls.min.js"></script><script src="/vendor/dash.all.min.js"></script></head>
<body><main>
<h1 id="title">Loading…</h1>
<video id="video" controls playsinline muted aria-label="Video player"></video>
<p id="status" role="status"></p>
</main>
<script>
(async () => {
  const id = ${JSON.stringify(id)};
  const usesDash = new URLSearchParams(location.search).get('player') === 'dash';
  const video = document.getElementById('video');
  const status = document.getElementById('status');
  let info;
  for (;;) {
    const res = await fetch('/api/videos/' + id);
    if (!res.ok) { status.textContent = 'Video not found.'; return; }
    info = await res.json();
    document.getElementById('title').textContent = info.title;
    if (info.status === 'failed') { status.textContent = 'Processing failed: ' + info.error; return; }
    if (info.playback) break;
    status.textContent = 'Processing… ' + Math.round(info.progress ? info.progress.percent : 0) + '%';
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (info.playback.poster) video.poster = info.playback.poster;
  window.streamforgePlayer = usesDash ? 'dash' : 'hls';
  if (usesDash) {
    const player = dashjs.MediaPlayer().create();
    player.initialize(video, info.playback.dash, true);
    window.dashPlayer = player;
  } else if (window.Hls && Hls.isSupported()) {
    const hls = new Hls({ startPosition: 0 });
    hls.loadSource(info.playback.hls);
    hls.attachMedia(video);
    hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
    window.hls = hls;
  } else {
    video.src = info.playback.hls;
    video.play().catch(() => {});
  }
  status.textContent = info.status === 'ready' ? '' : 'Still processing — playing what is ready.';
})();
</script></body></html>`;
}
