/**
 * The free-disk guard (STREAMFORGE_MIN_FREE_BYTES) over a real server whose reserve no disk can
 * meet: multipart uploads, tus creation (with and without a body) and tus PATCH are refused with
 * 507 naming the setting, and nothing is left behind. Plus the guard itself against this machine's
 * real free space.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { Upload as TusUpload } from '@tus/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InsufficientStorageError } from '../../src/errors.js';
import { assertFreeSpace } from '../../src/storage/free-space.js';
import { authHeaders, startTestServer, storedKeys, type TestServer, uploadFile } from '../helpers/app-server.js';
import { corpusFile } from '../helpers/media.js';

const PETABYTE = 10 ** 15;
const SOURCE = corpusFile('h264_aac_1080x720_1s__androidx_sample.mp4');
const TUS = { 'Tus-Resumable': '1.0.0', ...authHeaders };
const PENDING_UPLOAD = 'Pending00001';

describe('a server whose disk cannot keep the reserve', () => {
  let server: TestServer;
  let dataDir = '';
  beforeAll(async () => {
    // An upload created while there was room, to be continued now that there is none.
    dataDir = mkdtempSync(path.join(tmpdir(), 'sf-disk-'));
    mkdirSync(path.join(dataDir, 'uploads'));
    const store = new FileStore({ directory: path.join(dataDir, 'uploads') });
    await store.create(new TusUpload({ id: PENDING_UPLOAD, size: 1000, offset: 0, creation_date: new Date().toISOString() }));
    server = await startTestServer({ dataDir, minFreeBytes: PETABYTE });
  });
  afterAll(async () => {
    await server?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true }); // ours, not the helper's temp dir
  });

  const uploadsDir = () => path.join(dataDir, 'uploads');
  const originals = () => storedKeys(server, 'originals/');
  const videoCount = async () => (await (await fetch(`${server.baseUrl}/api/videos`)).json()).total;

  it('refuses a multipart upload with 507 and keeps nothing', async () => {
    const { status, body } = await uploadFile(server.baseUrl, SOURCE, 'No room');
    expect(status).toBe(507);
    expect(body.error.code).toBe('insufficient_storage');
    expect(body.error.message).toMatch(/not enough free disk space: .* \(STREAMFORGE_MIN_FREE_BYTES\)/);
    expect(await originals()).toEqual([]);
    expect(await videoCount()).toBe(0);
  });

  it('refuses tus creation with 507, with or without a body, and creates no upload', async () => {
    const before = readdirSync(uploadsDir()).sort();
    const plain = await fetch(`${server.baseUrl}/api/uploads`, { method: 'POST', headers: { ...TUS, 'Upload-Length': '1000' } });
    expect(plain.status).toBe(507);
    expect(await plain.text()).toMatch(/storing 1000 more bytes .* \(STREAMFORGE_MIN_FREE_BYTES\)/);
    expect(plain.headers.get('location')).toBeNull();

    const withBody = await fetch(`${server.baseUrl}/api/uploads`, {
      method: 'POST',
      headers: { ...TUS, 'Upload-Length': '1000', 'Content-Type': 'application/offset+octet-stream' },
      body: new Uint8Array(1000),
    });
    expect(withBody.status).toBe(507);
    const deferred = await fetch(`${server.baseUrl}/api/uploads`, { method: 'POST', headers: { ...TUS, 'Upload-Defer-Length': '1' } });
    expect(deferred.status).toBe(507);
    expect(readdirSync(uploadsDir()).sort()).toEqual(before);
  });

  it('refuses a tus PATCH with 507 and writes none of it', async () => {
    const url = `${server.baseUrl}/api/uploads/${PENDING_UPLOAD}`;
    const res = await fetch(url, {
      method: 'PATCH',
      headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      body: new Uint8Array(1000),
    });
    expect(res.status).toBe(507);
    expect(await res.text()).toMatch(/STREAMFORGE_MIN_FREE_BYTES/);
    const head = await fetch(url, { method: 'HEAD', headers: TUS });
    expect(head.headers.get('upload-offset')).toBe('0');
    expect(statSync(path.join(uploadsDir(), PENDING_UPLOAD)).size).toBe(0);
    expect(await videoCount()).toBe(0);
  });
});

describe('assertFreeSpace', () => {
  const free = () => {
    const stats = statfsSync(tmpdir());
    return stats.bavail * stats.bsize;
  };

  it('lets bytes in while they leave the reserve free', async () => {
    await expect(assertFreeSpace({ directory: tmpdir(), incomingBytes: 1000, minFreeBytes: 0 })).resolves.toBeUndefined();
    await expect(assertFreeSpace({ directory: tmpdir(), incomingBytes: 0, minFreeBytes: Math.floor(free() / 2) })).resolves.toBeUndefined();
  });

  it('refuses bytes that would eat into the reserve, naming the setting', async () => {
    // The whole file system's size, not today's free space: other tests free space concurrently.
    const { blocks, bsize } = statfsSync(tmpdir());
    const refused = assertFreeSpace({ directory: tmpdir(), incomingBytes: blocks * bsize, minFreeBytes: 1 });
    await expect(refused).rejects.toBeInstanceOf(InsufficientStorageError);
    await expect(refused).rejects.toMatchObject({ statusCode: 507, message: expect.stringMatching(/STREAMFORGE_MIN_FREE_BYTES/) });
  });
});
