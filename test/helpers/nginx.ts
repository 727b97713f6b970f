/**
 * A real nginx (/usr/sbin/nginx) running the shipped edge config, deploy/nginx/streamforge-edge.conf,
 * in front of a StreamForge started by the test, and a player's walk through it: edge-cache.test.ts
 * and nginx-private.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './media.js';

export const SHIPPED_EDGE_CONFIG = path.join(repoRoot, 'deploy/nginx/streamforge-edge.conf');

export interface Edge {
  url: string;
  accessLog: string;
  errorLog: string;
  stop(): Promise<void>;
}

export interface StartEdgeOptions {
  /** Port of the StreamForge HTTP server on 127.0.0.1. */
  upstreamPort: string;
  /** The blob directory StreamForge writes (`<dataDir>/blobs`), for the X-Accel-Redirect location; default: none there. */
  blobsDir?: string;
}

/**
 * The shipped file with only its site-specific values rewritten: the upstream `server` line, the
 * `listen` port, the cache directory, the access log and the blob directory. Each must be found
 * exactly once, so a change to the shipped file that the tests would silently stop exercising fails
 * here instead.
 */
export function renderEdgeConfig(options: { upstreams: string[]; port: number; dir: string; blobsDir: string }): string {
  let config = readFileSync(SHIPPED_EDGE_CONFIG, 'utf8');
  const replace = (pattern: RegExp, replacement: string) => {
    const matches = config.match(new RegExp(pattern.source, 'gm'));
    if (matches?.length !== 1) throw new Error(`${SHIPPED_EDGE_CONFIG}: expected one match of ${pattern}, found ${matches?.length ?? 0}`);
    config = config.replace(new RegExp(pattern.source, 'm'), () => replacement);
  };
  replace(/^\s*server api:8080\b[^;]*;/, options.upstreams.map((u) => `    server ${u};`).join('\n'));
  replace(/^\s*listen 80;/, `    listen 127.0.0.1:${options.port};`);
  replace(/\/var\/cache\/nginx\/streamforge\b/, path.join(options.dir, 'cache'));
  replace(/\/var\/log\/nginx\/streamforge-edge\.access\.log/, path.join(options.dir, 'access.log'));
  replace(/\/var\/lib\/streamforge\/blobs\//, `${options.blobsDir.replace(/\/+$/, '')}/`);
  return config;
}

/** A minimal nginx.conf around the edge config: temp dirs under `dir`, runs as the current user. */
function mainConfig(dir: string): string {
  const user = os.userInfo();
  return [
    // As root, nginx's workers would switch to `nobody`, who cannot read this private temp dir.
    ...(user.uid === 0 ? ['user root root;'] : []),
    'daemon off;',
    'worker_processes 2;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 1024; }',
    'http {',
    `  client_body_temp_path ${dir}/client_body;`,
    `  proxy_temp_path ${dir}/proxy;`,
    `  fastcgi_temp_path ${dir}/fastcgi;`,
    `  uwsgi_temp_path ${dir}/uwsgi;`,
    `  scgi_temp_path ${dir}/scgi;`,
    `  access_log ${dir}/other-access.log;`,
    `  include ${dir}/streamforge-edge.conf;`,
    '}',
    '',
  ].join('\n');
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startEdge(options: StartEdgeOptions): Promise<Edge> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-edge-'));
  mkdirSync(path.join(dir, 'cache'));
  const port = await freePort();
  const config = renderEdgeConfig({ upstreams: [`127.0.0.1:${options.upstreamPort}`], port, dir, blobsDir: options.blobsDir ?? path.join(dir, 'no-blobs') });
  writeFileSync(path.join(dir, 'streamforge-edge.conf'), config);
  writeFileSync(path.join(dir, 'nginx.conf'), mainConfig(dir));
  const nginx: ChildProcess = spawn('/usr/sbin/nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  nginx.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => nginx.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  // Ready when a request goes through it to StreamForge.
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited (${nginx.exitCode}): ${stderr}${readOptional(path.join(dir, 'error.log'))}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`nginx did not answer on ${url}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50)); // poll interval while waiting for the port
  }
  return {
    url,
    accessLog: path.join(dir, 'access.log'),
    errorLog: path.join(dir, 'error.log'),
    async stop() {
      if (nginx.exitCode === null) {
        nginx.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Fetched {
  path: string;
  status: number;
  cacheStatus: string | null;
  cacheControl: string | null;
  headers: Headers;
  body: Buffer;
}

/**
 * What a player does: master, every media playlist, then the init segment and every segment of
 * each, resolving relative URIs as players do (so a `/stream/t/<token>/` prefix carries over).
 */
export async function playAsViewer(baseUrl: string, masterPath: string, headers: Record<string, string> = {}): Promise<Fetched[]> {
  const fetched: Fetched[] = [];
  const get = async (p: string) => {
    const res = await fetch(`${baseUrl}${p}`, { headers });
    const f: Fetched = {
      path: p,
      status: res.status,
      cacheStatus: res.headers.get('x-cache-status'),
      cacheControl: res.headers.get('cache-control'),
      headers: res.headers,
      body: Buffer.from(await res.arrayBuffer()),
    };
    fetched.push(f);
    return f;
  };
  const master = (await get(masterPath)).body.toString();
  const playlists = [
    ...[...master.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!),
    ...master.split('\n').filter((l) => l !== '' && !l.startsWith('#')),
  ].map((uri) => resolveUri(masterPath, uri));
  const media: string[][] = [];
  for (const playlist of playlists) {
    const body = (await get(playlist)).body.toString();
    const init = [...body.matchAll(/#EXT-X-MAP:URI="([^"]+)"/g)].map((m) => m[1]!);
    const segments = body.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    media.push([...init, ...segments].map((uri) => resolveUri(playlist, uri)));
  }
  for (const files of media) for (const file of files) await get(file);
  return fetched;
}

/** The path a relative URI names, seen from `base` (a path). */
export function resolveUri(base: string, uri: string): string {
  return new URL(uri, `http://edge${base}`).pathname;
}

export function isManifest(p: string): boolean {
  return p.endsWith('.m3u8') || p.endsWith('.mpd');
}

export function readOptional(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
