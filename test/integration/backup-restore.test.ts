/**
 * Backup and restore (docs/backup.md), as an operator does it: `streamforge backup` while the server
 * runs and a third upload is processing, the server stopped and its data directory wiped,
 * `streamforge restore` into a fresh directory, a server started on it. The ready videos play with
 * the same bytes; the interrupted one is processed again to ready by the restored server; a backup
 * altered by one byte is refused. Embedded drivers by construction (notRepeatedInScaleOut); the
 * scale-out procedure's database step (pg_dump / pg_restore) runs when pg_dump is installed.
 */
import { type ChildProcess, execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { authHeaders, startTestServer, TEST_AUTH_ENV, uploadFile } from '../helpers/app-server.js';
import { generatedClip, repoRoot } from '../helpers/media.js';
import { dropPostgresTestDatabase, postgresTestUrl } from '../helpers/postgres.js';
import { freePort, startServerProcess } from '../helpers/server-process.js';

const run = promisify(execFile);
const ORIGINAL_KEY = 'originals/AAAAAAAAAAAA';
const scratch = mkdtempSync(path.join(tmpdir(), 'sf-backup-'));
const processes: ChildProcess[] = [];
afterAll(() => {
  for (const proc of processes) if (proc.exitCode === null) proc.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

/** `streamforge ARGS` on the compiled build, as an operator runs it; never throws. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, 'bin/streamforge.js'), ...args], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...TEST_AUTH_ENV },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function api(baseUrl: string, url: string): Promise<any> {
  const res = await fetch(`${baseUrl}${url}`, { headers: authHeaders });
  expect(res.status, url).toBe(200);
  return res.json();
}

async function waitForStatus(baseUrl: string, id: string, accept: (video: any) => boolean, timeoutMs = 150_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const video = await api(baseUrl, `/api/videos/${id}`);
    if (accept(video)) return video;
    if (Date.now() > deadline) throw new Error(`video ${id} is still ${video.status} (${JSON.stringify(video.progress ?? null)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The master playlist and the first media segment of a ready video, as bytes. */
async function playbackBytes(baseUrl: string, video: any): Promise<{ master: Buffer; segment: Buffer }> {
  const get = async (url: string) => {
    const res = await fetch(`${baseUrl}${url}`, { headers: authHeaders });
    expect(res.status, url).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  };
  const masterUrl: string = video.playback.hls;
  const master = await get(masterUrl);
  const media = new URL(master.toString().split('\n').find((line) => line.trim() && !line.startsWith('#'))!, `http://x${masterUrl}`).pathname;
  const playlist = (await get(media)).toString();
  const segment = new URL(playlist.split('\n').find((line) => line.trim() && !line.startsWith('#'))!, `http://x${media}`).pathname;
  return { master, segment: await get(segment) };
}

async function stop(proc: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  await exited;
}

// A short lease: the restored server takes over the job the backed-up server held without waiting 30 s.
const serverEnv = { STREAMFORGE_JOB_LEASE_MS: '4000', STREAMFORGE_STAGE_CONCURRENCY: '0' };

describe('streamforge backup / restore (embedded)', () => {
  it('restores a backup taken while serving and processing: videos play, the interrupted one finishes', async () => {
    const original = path.join(scratch, 'original');
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const server = await startServerProcess({ port, dataDir: original, env: serverEnv });
    processes.push(server);

    const clip = generatedClip({ seconds: 2, width: 320, height: 180, fps: 25 });
    const ready: string[] = [];
    for (const title of ['first', 'second']) {
      const { status, body } = await uploadFile(baseUrl, clip, title);
      expect(status).toBe(201);
      ready.push(body.id);
    }
    const before = new Map<string, { master: Buffer; segment: Buffer }>();
    for (const id of ready) before.set(id, await playbackBytes(baseUrl, await waitForStatus(baseUrl, id, (v) => v.status === 'ready')));
    // Long enough to be mid-ladder while the backup runs.
    const long = generatedClip({ seconds: 30, width: 1280, height: 720, fps: 30 });
    const third = (await uploadFile(baseUrl, long, 'third')).body.id as string;
    await waitForStatus(baseUrl, third, (v) => v.status === 'processing' && v.progress?.stage === 'transcoding', 60_000);

    const backupDir = path.join(scratch, 'backup');
    const backedUp = await cli(['backup', backupDir, '--data-dir', original]);
    expect(backedUp.code, backedUp.stderr).toBe(0);
    expect(backedUp.stdout).toMatch(/backed up to .*: database \d+ bytes \(sha256 [0-9a-f]{64}\), \d+ blobs/);
    const manifest = JSON.parse(readFileSync(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'streamforge-backup', formatVersion: 1, uploads: null });
    expect(manifest.migrations).toContain('0001-initial');
    // The snapshot caught the third video mid-processing.
    const snapshot = new SQLite(path.join(backupDir, 'streamforge.db'), { readonly: true });
    const statuses = Object.fromEntries((snapshot.prepare('SELECT id, status FROM videos').all() as Array<{ id: string; status: string }>).map((r) => [r.id, r.status]));
    snapshot.close();
    expect(statuses).toEqual({ [ready[0]!]: 'ready', [ready[1]!]: 'ready', [third]: 'processing' });

    await stop(server);
    rmSync(original, { recursive: true, force: true });

    const restored = path.join(scratch, 'restored');
    const restoredOk = await cli(['restore', backupDir, '--data-dir', restored]);
    expect(restoredOk.code, restoredOk.stderr).toBe(0);
    // A second restore onto it is refused: the directory is not empty any more.
    const again = await cli(['restore', backupDir, '--data-dir', restored]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/is not empty .*--force/);

    const port2 = await freePort();
    const baseUrl2 = `http://127.0.0.1:${port2}`;
    const server2 = await startServerProcess({ port: port2, dataDir: restored, env: serverEnv });
    processes.push(server2);
    const listed: any[] = (await api(baseUrl2, '/api/videos')).videos;
    expect(listed.map((v) => v.id).sort()).toEqual([...ready, third].sort());
    for (const id of ready) {
      const after = await playbackBytes(baseUrl2, await api(baseUrl2, `/api/videos/${id}`));
      expect(after.master.equals(before.get(id)!.master), `${id} master`).toBe(true);
      expect(after.segment.equals(before.get(id)!.segment), `${id} segment`).toBe(true);
    }
    // Never stuck: the restored server's worker takes the job over once the old lease runs out.
    const finished = await waitForStatus(baseUrl2, third, (v) => v.status !== 'processing', 240_000);
    expect(finished.status).toBe('ready');
    await playbackBytes(baseUrl2, finished);
    await stop(server2);
  });

  it('refuses a backup whose database snapshot or a blob was altered by one byte', async () => {
    const dataDir = path.join(scratch, 'small');
    const port = await freePort();
    const server = await startServerProcess({ port, dataDir, env: serverEnv });
    processes.push(server);
    // A blob to back up (an original of no video: the janitor would take it only after its grace).
    mkdirSync(path.join(dataDir, 'blobs', 'originals'), { recursive: true });
    writeFileSync(path.join(dataDir, 'blobs', ORIGINAL_KEY), randomBytes(4096));
    const backupDir = path.join(scratch, 'small-backup');
    expect((await cli(['backup', backupDir, '--data-dir', dataDir])).code).toBe(0);
    await stop(server);

    const tampered = path.join(scratch, 'tampered');
    cpSync(backupDir, tampered, { recursive: true });
    const db = path.join(tampered, 'streamforge.db');
    const bytes = readFileSync(db);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    writeFileSync(db, bytes);
    const target = path.join(scratch, 'from-tampered');
    const refused = await cli(['restore', tampered, '--data-dir', target]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/streamforge: the database snapshot .* has SHA-256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}: the backup is damaged or was altered; refusing to restore it/);

    // A blob altered by one byte (same size: the totals alone cannot tell), or a blob removed.
    const blobTampered = path.join(scratch, 'blob-tampered');
    cpSync(backupDir, blobTampered, { recursive: true });
    const blob = path.join(blobTampered, 'blobs', ORIGINAL_KEY);
    const blobBytes = readFileSync(blob);
    blobBytes[7]! ^= 0x01;
    writeFileSync(blob, blobBytes);
    const refusedBlob = await cli(['restore', blobTampered, '--data-dir', target]);
    expect(refusedBlob.code).not.toBe(0);
    expect(refusedBlob.stderr).toMatch(new RegExp(`streamforge: blobs/${ORIGINAL_KEY} has SHA-256 [0-9a-f]{64}, blobs.sha256 says [0-9a-f]{64}: the backup is damaged or was altered`));
    expect(readFileSync(path.join(backupDir, 'blobs.sha256'), 'utf8')).toContain(`  blobs/${ORIGINAL_KEY}\n`);

    // The untouched backup restores, with the blob's bytes.
    expect((await cli(['restore', backupDir, '--data-dir', target])).code).toBe(0);
    expect(readFileSync(path.join(target, 'blobs', ORIGINAL_KEY))).toEqual(readFileSync(path.join(dataDir, 'blobs', ORIGINAL_KEY)));
  });
});

const hasPgDump = (() => {
  try {
    execFileSync('pg_dump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasPgDump)('scale-out procedure: the PostgreSQL step (docs/backup.md)', () => {
  it('pg_dump -Fc of a live database restores with pg_restore into one a server plays from', async () => {
    const source = await postgresTestUrl();
    const target = await postgresTestUrl();
    if (!source || !target) return;
    // Blobs outside either server's data directory: the stand-in for the S3 bucket both use.
    const blobs = path.join(scratch, 'pg-blobs');
    try {
      const first = await startTestServer({ databaseUrl: source, storageUrl: `file:${blobs}` }, { stages: [] });
      let played: Buffer;
      let id: string;
      try {
        id = (await uploadFile(first.baseUrl, generatedClip({ seconds: 2, width: 320, height: 180, fps: 25 }), 'pg')).body.id;
        const video = await waitForStatus(first.baseUrl, id, (v) => v.status === 'ready');
        played = (await playbackBytes(first.baseUrl, video)).segment;
        // Taken while the server is up, as the procedure says.
        const dump = path.join(scratch, 'streamforge.dump');
        await run('pg_dump', ['--format=custom', '--no-owner', `--file=${dump}`, source]);
        await run('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${target}`, dump]);
      } finally {
        await first.close();
      }
      const second = await startTestServer({ databaseUrl: target, storageUrl: `file:${blobs}` }, { stages: [] });
      try {
        const video = await api(second.baseUrl, `/api/videos/${id}`);
        expect(video.status).toBe('ready');
        expect((await playbackBytes(second.baseUrl, video)).segment.equals(played)).toBe(true);
      } finally {
        await second.close();
      }
    } finally {
      await dropPostgresTestDatabase(source);
      await dropPostgresTestDatabase(target);
    }
  });
});
