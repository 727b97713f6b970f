// nginx as the benchmarks' reference: /stream/ served from a blob directory with sendfile, as a tuned
// static server. One place for its configuration, shared by bench/origin and bench/load.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './serve.js';

/**
 * @param {{ prefix: string, videosDir: string, workers: number | 'auto' }} options `videosDir` holds
 *   `<id>/<version>/…` as the local blob store writes it under `videos/`.
 * @returns {Promise<{ port: number, pid: number, child: import('node:child_process').ChildProcess, stop(): Promise<void> }>}
 */
export async function startNginx({ prefix, videosDir, workers }) {
  mkdirSync(path.join(prefix, 'logs'), { recursive: true });
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const conf = `
${asRoot ? 'user root;' : ''}
daemon off;
master_process on;
worker_processes ${workers};
worker_rlimit_nofile 16384;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  types { video/iso.segment m4s; video/mp4 mp4; application/vnd.apple.mpegurl m3u8; }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    location /stream/ {
      alias ${videosDir}/;
      add_header Cache-Control "public, max-age=31536000, immutable";
      add_header Access-Control-Allow-Origin "*";
      add_header X-Content-Type-Options nosniff;
    }
  }
}
`;
  writeFileSync(path.join(prefix, 'nginx.conf'), conf);
  const child = spawn('nginx', ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'logs/error.log')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 10_000;
  while (!(await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false))) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode} (${prefix}/logs/error.log)`);
    if (Date.now() > deadline) throw new Error('nginx did not start');
    await new Promise((r) => setTimeout(r, 50)); // polling for the listener, bounded by the deadline
  }
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGQUIT');
    });
  return { port, pid: child.pid, child, stop };
}
