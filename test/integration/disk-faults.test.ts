/**
 * A real full disk and a real read-only data directory, not the free-disk guard (disk-space.test.ts
 * covers that): the data directory is a small tmpfs, filled with a file or its blob directory
 * bind-mounted read-only. Clients get a clear 507 / 503 (never a bare 500), nothing half-stored
 * remains, a job that hit ENOSPC retries and succeeds once space returns with one whole published
 * version, the database passes its integrity check, and new uploads work again.
 *
 * Needs `mount` (root, as in CI). Where mounts are impossible the file is skipped with a warning,
 * except under CI=true, where that is a failure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, followEvents, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';
import { generatedClip } from '../helpers/media.js';
import { createTusUpload, TUS_HEADERS, tusOffset, tusPatch } from '../helpers/partial-upload.js';

const root = mkdtempSync(path.join(tmpdir(), 'sf-diskfaults-'));

function run(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

const mounted = process.platform === 'linux' && run('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', root]);
if (!mounted) {
  if (process.env.CI === 'true') throw new Error('disk-faults: cannot mount a tmpfs (needs root); CI must run these tests');
  console.warn('disk-faults: SKIPPED — cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN)');
}

afterAll(() => {
  if (mounted) run('umount', ['-l', root]);
  rmSync(root, { recursive: true, force: true });
});

const clip = () => generatedClip({ seconds: 4, width: 426, height: 240, fps: 24 });
const filler = path.join(root, 'filler');
const freeBytes = () => {
  const stats = statfsSync(root);
  return stats.bavail * stats.bsize;
};
/** Fills the tmpfs until only `leaveBytes` are free. */
function fillDisk(leaveBytes: number): void {
  rmSync(filler, { force: true });
  writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes() - leaveBytes)));
}
const freeDisk = () => rmSync(filler, { force: true });

/** Every file under `dir`, relative, dot-directories included. */
function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

function integrityOf(dataDir: string): string {
  const db = new Database(path.join(dataDir, 'streamforge.db'), { readonly: true });
  try {
    return (db.pragma('integrity_check', { simple: true }) as string);
  } finally {
    db.close();
  }
}

/** The published files of a ready video are whole: one version, and every playlist entry exists. */
function expectWholeOutputs(dataDir: string, id: string, outputPrefix: string): void {
  const videoDir = path.join(dataDir, 'blobs', 'videos', id);
  expect(readdirSync(videoDir)).toEqual([outputPrefix.split('/')[2]]);
  const versionDir = path.join(dataDir, 'blobs', outputPrefix);
  for (const playlist of filesUnder(versionDir).filter((f) => f.endsWith('index.m3u8'))) {
    const dir = path.dirname(path.join(versionDir, playlist));
    const text = readFileSync(path.join(versionDir, playlist), 'utf8');
    expect(text).toMatch(/#EXT-X-ENDLIST/);
    const uris = [...text.matchAll(/^([^#\s].*)$/gm), ...text.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!);
    for (const uri of uris) expect(existsSync(path.join(dir, uri)), `${playlist}: ${uri}`).toBe(true);
  }
}

describe.skipIf(!mounted)('a full disk (tmpfs)', () => {
  let server: TestServer;
  const dataDir = path.join(root, 'full');
  beforeAll(async () => {
    mkdirSync(dataDir);
    // No reserve: these tests are about a real ENOSPC, the guard has its own file.
    server = await startTestServer({ dataDir, minFreeBytes: 0, jobBackoffMs: 300, jobMaxAttempts: 20, stageConcurrency: 0 });
  });
  afterAll(async () => {
    freeDisk();
    await server?.close();
  });

  it('refuses uploads with 507 and keeps nothing half-stored; they work once space returns', async () => {
    const file = readFileSync(clip());
    fillDisk(64 * 1024);
    const multipart = await uploadFile(server.baseUrl, clip(), 'no room');
    expect(multipart.status).toBe(507);
    // The guard sees the declared length will not fit; a write cut by ENOSPC says "no space left".
    expect(multipart.body.error).toMatchObject({ code: 'insufficient_storage', message: expect.stringMatching(/no space left|not enough free disk space/) });
    expect(filesUnder(path.join(dataDir, 'blobs'))).toEqual([]);

    // Created while there was room; its PATCH streams with no declared length, so the guard lets it
    // through and the write itself hits ENOSPC.
    freeDisk();
    const tus = await createTusUpload(server.baseUrl, { size: file.length, fileName: 'full.mp4' });
    fillDisk(64 * 1024);
    const res = await fetch(tus.url, {
      method: 'PATCH',
      headers: { ...TUS_HEADERS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      body: new Blob([new Uint8Array(file)]).stream(),
      duplex: 'half',
    } as RequestInit);
    const patch = { status: res.status, text: await res.text() };
    expect(patch.status).toBe(507);
    expect(patch.text).toMatch(/no space left/);
    const offset = await tusOffset(tus.url);
    expect(offset).toBeLessThan(file.length);
    expect((await (await fetch(`${server.baseUrl}/api/videos`, { headers: authHeaders })).json()).total).toBe(0);

    freeDisk();
    const resumed = await tusPatch(tus.url, offset, file.subarray(offset));
    expect(resumed.status).toBe(204);
    const again = await uploadFile(server.baseUrl, clip(), 'room again');
    expect(again.status).toBe(201);
    for (const id of [tus.id, again.body.id as string]) {
      const finals = (await followEvents(server.baseUrl, id, 120_000)).filter((e) => e.event === 'ready' || e.event === 'failed');
      expect(finals.map((e) => e.event)).toEqual(['ready']);
      expectWholeOutputs(dataDir, id, (await server.ctx.videos.get(id))!.output_prefix!);
    }
    expect(integrityOf(dataDir)).toBe('ok');
  });

  it('a transcode that runs out of space retries and succeeds once space returns, one whole version published', async () => {
    const size = readFileSync(clip()).length;
    // Room for the original, not for its renditions.
    fillDisk(size + 160 * 1024);
    const upload = await uploadFile(server.baseUrl, clip(), 'transcode without room');
    expect(upload.status).toBe(201);
    const id: string = upload.body.id;
    const jobOf = () =>
      server.ctx.database.db.selectFrom('jobs').select(['status', 'attempts', 'last_error']).where('payload_json', 'like', `%"${id}"%`).executeTakeFirst();
    for (let i = 0; i < 600; i++) {
      const job = await jobOf();
      if (job && Number(job.attempts) >= 2 && job.last_error) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const failing = await jobOf();
    // Retried, with the reason, even where ffmpeg's only symptom is a playlist cut short by ENOSPC.
    expect(Number(failing?.attempts)).toBeGreaterThanOrEqual(2);
    expect(failing?.last_error).toMatch(/no space left on the server’s disk|the server’s disk is full/);
    expect((await server.ctx.videos.get(id))!.status).toBe('processing');

    freeDisk();
    const finals = (await followEvents(server.baseUrl, id, 120_000)).filter((e) => e.event === 'ready' || e.event === 'failed');
    expect(finals.map((e) => e.event)).toEqual(['ready']);
    expectWholeOutputs(dataDir, id, (await server.ctx.videos.get(id))!.output_prefix!);
    expect(filesUnder(path.join(dataDir, 'blobs', '.tmp'))).toEqual([]);
    expect(integrityOf(dataDir)).toBe('ok');
  });
});

describe.skipIf(!mounted)('a read-only blob directory (bind mount)', () => {
  let server: TestServer;
  const dataDir = path.join(root, 'ro');
  const blobs = path.join(dataDir, 'blobs');
  beforeAll(async () => {
    // .tmp exists once anything was stored, as on any data directory in use.
    mkdirSync(path.join(blobs, '.tmp'), { recursive: true });
    server = await startTestServer({ dataDir, minFreeBytes: 0, stageConcurrency: 0 });
  });
  afterAll(async () => {
    run('umount', [blobs]);
    await server?.close();
  });

  it('answers 503 storage_unavailable, keeps the database whole, and works again once writable', async () => {
    expect(run('mount', ['--bind', blobs, blobs]) && run('mount', ['-o', 'remount,bind,ro', blobs])).toBe(true);
    const refused = await uploadFile(server.baseUrl, clip(), 'read-only');
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: 'storage_unavailable', message: expect.stringMatching(/read-only/) });

    // A resumable upload lands in uploads/ but cannot become a video yet: a clear, retryable answer.
    const file = readFileSync(clip());
    const tus = await createTusUpload(server.baseUrl, { size: file.length, fileName: 'ro.mp4' });
    // Becoming a video fails. Known gap (docs/faults.md): the answer is meant to be a 500 "retry",
    // but the connection may be reset instead; either way the client resumes and retries.
    const patch = await tusPatch(tus.url, 0, file).catch((err: Error) => err);
    if (!(patch instanceof Error)) {
      expect(patch.status).toBe(500);
      expect(patch.text).toMatch(/could not become a video; retry/);
    }
    expect((await (await fetch(`${server.baseUrl}/api/videos`, { headers: authHeaders })).json()).total).toBe(0);

    expect(run('umount', [blobs])).toBe(true);
    // The client resumes as tus does (HEAD, PATCH the rest; or the status request when all is there).
    const offset = await tusOffset(tus.url);
    const videoId =
      offset < file.length
        ? (await tusPatch(tus.url, offset, file.subarray(offset))).videoId
        : ((await (await fetch(tus.url, { headers: authHeaders })).json()) as { videoId: string | null }).videoId;
    expect(videoId).toBe(tus.id);
    const again = await uploadFile(server.baseUrl, clip(), 'writable again');
    expect(again.status).toBe(201);
    for (const id of [tus.id, again.body.id as string]) {
      const finals = (await followEvents(server.baseUrl, id, 120_000)).filter((e) => e.event === 'ready' || e.event === 'failed');
      expect(finals.map((e) => e.event)).toEqual(['ready']);
    }
    expect(filesUnder(path.join(blobs, '.tmp'))).toEqual([]);
    expect(integrityOf(dataDir)).toBe('ok');
  });
});
