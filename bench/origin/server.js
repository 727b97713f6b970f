// The origin benchmark's reference Node servers, in their own process (optionally a cluster). The
// server the goal is about is not here: it is the real `streamforge serve` (run.js).
//   BENCH_SERVER=origin-bare  createOrigin() from the compiled src/delivery in a plain http server,
//                             WITHOUT the access check and the playback limit: what they cost is
//                             the difference to `streamforge`
//   BENCH_SERVER=baseline     plain http + fs.stat + fs.createReadStream().pipe(res)
// Env: BENCH_ROOT (the blob store root, holding videos/), BENCH_WORKERS (1 = no cluster), ORIGIN_MODULE.
// Prints `LISTENING <port>` on stdout once every worker listens.
import cluster from 'node:cluster';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const kind = process.env.BENCH_SERVER ?? 'origin-bare';
const root = process.env.BENCH_ROOT;
const workers = Number(process.env.BENCH_WORKERS ?? '1');
if (!root) throw new Error('BENCH_ROOT is required');

if (workers > 1 && cluster.isPrimary) {
  let listening = 0;
  let port = 0;
  for (let i = 0; i < workers; i++) {
    const worker = cluster.fork();
    worker.on('message', (message) => {
      if (message?.listening === undefined) return;
      port = message.listening;
      if (++listening === workers) console.log(`LISTENING ${port}`);
    });
  }
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const handler = kind === 'origin-bare' ? await originHandler() : baselineHandler();
  const server = http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    if (cluster.isWorker) process.send({ listening: port });
    else console.log(`LISTENING ${port}`);
  });
  process.on('SIGTERM', () => process.exit(0));
}

async function originHandler() {
  const modulePath = process.env.ORIGIN_MODULE;
  if (!modulePath) throw new Error('ORIGIN_MODULE is required');
  const { createOrigin } = await import(pathToFileURL(path.resolve(modulePath)).href);
  // The origin only needs localPath from a local store; this is LocalBlobStore's mapping.
  const store = { localPath: (key) => path.join(root, key) };
  const origin = createOrigin({
    store,
    cacheBytes: Number(process.env.BENCH_CACHE_BYTES ?? 256 * 1024 ** 2),
    cacheMaxFileBytes: 16 * 1024 ** 2,
    corsOrigin: '*',
  });
  return (req, res) => {
    if (origin.handle(req, res)) return;
    res.writeHead(404);
    res.end();
  };
}

function baselineHandler() {
  const videos = path.join(root, 'videos');
  return (req, res) => {
    const urlPath = req.url.split('?')[0];
    if (!urlPath.startsWith('/stream/') || urlPath.includes('..')) {
      res.writeHead(404);
      res.end();
      return;
    }
    const file = path.join(videos, urlPath.slice('/stream/'.length));
    fs.stat(file, (err, stat) => {
      if (err || !stat.isFile()) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'video/iso.segment', 'Content-Length': stat.size });
      fs.createReadStream(file).pipe(res);
    });
  };
}
