/**
 * Operations (docs/operations.md): `/ready` (src/api/health.ts) gives every check's reason and 503
 * when one fails — here ffmpeg, run once at start-up and afterwards only looked for on disk; every
 * answer names its request id.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app-server.js';

const servers: TestServer[] = [];
const scratch = mkdtempSync(path.join(tmpdir(), 'sf-ready-'));
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(scratch, { recursive: true, force: true });
});

async function start(overrides: Record<string, unknown>, runWorker?: boolean): Promise<TestServer> {
  const server = await startTestServer(overrides, { runWorker, stages: [] });
  servers.push(server);
  return server;
}

async function ready(server: TestServer): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const res = await fetch(`${server.baseUrl}/ready`);
  return { status: res.status, body: await res.json() };
}

describe('/ready', () => {
  it('is ready with every check ok, ffmpeg included', async () => {
    const { status, body } = await ready(await start({}));
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ready', checks: { database: 'ok', storage: 'ok', ffmpeg: 'ok' } });
  });

  it('answers 503 with the reason when a process that runs jobs has no ffmpeg', async () => {
    const { status, body } = await ready(await start({ ffmpegPath: '/nonexistent/ffmpeg' }));
    expect(status).toBe(503);
    expect(body.status).toBe('not ready');
    expect(body.checks.ffmpeg).toMatch(/cannot run \/nonexistent\/ffmpeg \(FFMPEG_PATH\)/);
    expect(body.checks.database).toBe('ok');
  });

  it('notices an ffmpeg that disappears after start-up', async () => {
    const ffprobe = path.join(scratch, 'ffprobe');
    // A copy of the real binary, to take away later (a package upgrade, a lost volume).
    const which = (process.env.PATH ?? '').split(':').map((dir) => path.join(dir, 'ffprobe'));
    const real = which.find((candidate) => {
      try {
        copyFileSync(candidate, ffprobe);
        return true;
      } catch {
        return false;
      }
    });
    expect(real).toBeDefined();
    const server = await start({ ffprobePath: ffprobe });
    expect((await ready(server)).status).toBe(200);
    rmSync(ffprobe);
    const { status, body } = await ready(server);
    expect(status).toBe(503);
    expect(body.checks.ffmpeg).toMatch(/ffprobe is no longer executable/);
  });

  it('does not hold a process without job workers to ffmpeg, but says so', async () => {
    const { status, body } = await ready(await start({ ffmpegPath: '/nonexistent/ffmpeg' }, false));
    expect(status).toBe(200);
    expect(body.checks.ffmpeg).toMatch(/^not needed \(no job worker here\): cannot run/);
  });
});

describe('request ids', () => {
  it('answers each request with its id, keeping a well-formed one from the edge', async () => {
    const server = servers[0] ?? (await start({}));
    const own = await fetch(`${server.baseUrl}/health`);
    expect(own.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const fromEdge = await fetch(`${server.baseUrl}/health`, { headers: { 'X-Request-Id': 'edge-0123456789abcdef' } });
    expect(fromEdge.headers.get('x-request-id')).toBe('edge-0123456789abcdef');
    const junk = await fetch(`${server.baseUrl}/health`, { headers: { 'X-Request-Id': 'a b' } });
    expect(junk.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
