/**
 * The tus checksum extension over a real server, with raw fetch (tus-js-client sends no checksums):
 * OPTIONS advertises it; a chunk whose digest matches is appended, one that does not is answered
 * 460 and discarded (the offset stays); the upload then completes into a video whose original is
 * byte-identical; bad headers are 400; a stopped chunk is discarded; concurrent requests each
 * check their own header.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, followEvents, startTestServer, type TestServer } from '../helpers/app-server.js';
import { corpusFile } from '../helpers/media.js';

const SOURCE = corpusFile('h264_aac_1080x720_1s__androidx_sample.mp4'); // 100 KB
const TUS = { 'Tus-Resumable': '1.0.0', ...authHeaders };

function checksum(algorithm: 'sha1' | 'sha256' | 'md5', data: Uint8Array): string {
  return `${algorithm} ${createHash(algorithm).update(data).digest('base64')}`;
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ segmentSeconds: 2 });
});
afterAll(async () => {
  await server?.close();
});

const endpoint = () => `${server.baseUrl}/api/uploads`;

async function createUpload(size: number): Promise<URL> {
  const res = await fetch(endpoint(), { method: 'POST', headers: { ...TUS, 'Upload-Length': String(size) } });
  expect(res.status).toBe(201);
  return new URL(res.headers.get('location')!, server.baseUrl);
}

function patch(url: URL, offset: number, body: Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'PATCH',
    headers: { ...TUS, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream', ...headers },
    body,
    duplex: 'half',
  } as RequestInit);
}

async function offsetOf(url: URL): Promise<number> {
  const head = await fetch(url, { method: 'HEAD', headers: TUS });
  expect(head.status).toBe(200);
  return Number(head.headers.get('upload-offset'));
}

function fileSize(url: URL): number {
  return statSync(path.join(server.dataDir, 'uploads', url.pathname.split('/').pop()!)).size;
}

/** Polls the upload's status JSON until `done(offset)`; the server gives no event to wait on. */
async function untilOffset(url: URL, done: (offset: number) => boolean): Promise<number> {
  const statusUrl = `${server.baseUrl}/api/uploads/${url.pathname.split('/').pop()}`;
  for (let i = 0; i < 400; i++) {
    const { offset } = await (await fetch(statusUrl, { headers: authHeaders })).json();
    if (done(offset)) return offset;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the upload offset never got there');
}

describe('tus checksum extension', () => {
  it('is advertised by OPTIONS with its algorithms, and allowed/exposed for browsers', async () => {
    const res = await fetch(endpoint(), { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('tus-extension')!.split(',')).toEqual([
      'creation',
      'creation-with-upload',
      'creation-defer-length',
      'termination',
      'expiration',
      'checksum',
    ]);
    expect(res.headers.get('tus-checksum-algorithm')).toBe('sha1,sha256,md5');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/\bUpload-Checksum\b/);
    const post = await fetch(endpoint(), { method: 'POST', headers: { ...TUS, 'Upload-Length': '1' } });
    expect(post.headers.get('access-control-expose-headers')).toMatch(/\bTus-Checksum-Algorithm\b/);
  });

  it('appends matching chunks, discards a mismatching one (460, offset unchanged), and completes byte-identical', async () => {
    const data = readFileSync(SOURCE);
    const cuts = [0, 30_000, 60_000, data.length];
    const chunk = (i: number) => data.subarray(cuts[i], cuts[i + 1]);
    const url = await createUpload(data.length);

    const first = await patch(url, 0, chunk(0), { 'Upload-Checksum': checksum('sha1', chunk(0)) });
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe(String(cuts[1]));

    // Right length, wrong bytes: what a corrupting proxy would deliver.
    const corrupted = Buffer.from(chunk(1));
    corrupted[100] ^= 0xff;
    const mismatch = await patch(url, cuts[1]!, corrupted, { 'Upload-Checksum': checksum('sha1', chunk(1)) });
    expect(mismatch.status).toBe(460);
    expect(mismatch.statusText).toBe('Checksum Mismatch');
    expect(mismatch.headers.get('tus-resumable')).toBe('1.0.0');
    expect(await mismatch.text()).toMatch(/sha1 differs/);
    expect(await offsetOf(url)).toBe(cuts[1]);
    expect(fileSize(url)).toBe(cuts[1]);

    const second = await patch(url, cuts[1]!, chunk(1), { 'Upload-Checksum': checksum('sha256', chunk(1)) });
    expect(second.status).toBe(204);
    expect(second.headers.get('upload-offset')).toBe(String(cuts[2]));
    const last = await patch(url, cuts[2]!, chunk(2), { 'Upload-Checksum': checksum('md5', chunk(2)) });
    expect(last.status).toBe(204);
    const videoId = last.headers.get('streamforge-video-id');
    expect(videoId).toBe(url.pathname.split('/').pop());

    const original = await server.ctx.store.getBytes(`originals/${videoId!}`);
    expect(createHash('sha256').update(original).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    const events = await followEvents(server.baseUrl, videoId!);
    expect(events.at(-1)!.event).toBe('ready');
  }, 120_000);

  it('refuses an unsupported algorithm and a malformed header with 400, writing nothing', async () => {
    const url = await createUpload(1000);
    const body = new Uint8Array(500).fill(7);
    const digest = createHash('sha1').update(body).digest('base64');
    for (const [header, message] of [
      [`sha512 ${createHash('sha512').update(body).digest('base64')}`, /unsupported checksum algorithm "sha512"; supported: sha1, sha256, md5/],
      [`crc32 AAAAAA==`, /unsupported checksum algorithm/],
      ['sha1', /malformed Upload-Checksum/],
      [`sha1  ${digest}`, /malformed Upload-Checksum/],
      ['sha1 not*base64', /malformed Upload-Checksum/],
      [`sha1 ${digest.slice(4)}`, /a sha1 digest is 20 bytes/],
      [`sha1 ${digest}, sha1 ${digest}`, /malformed Upload-Checksum/],
    ] as const) {
      const res = await patch(url, 0, body, { 'Upload-Checksum': header });
      expect(res.status, header).toBe(400);
      expect(await res.text(), header).toMatch(message);
    }
    expect(await offsetOf(url)).toBe(0);
    const ok = await patch(url, 0, body, { 'Upload-Checksum': `SHA1 ${digest}` });
    expect(ok.status).toBe(204);
    expect(await offsetOf(url)).toBe(500);
  });

  it('checks creation-with-upload: a mismatching body is 460 and leaves the upload empty', async () => {
    const body = new Uint8Array(2000).fill(1);
    const create = (header: string) =>
      fetch(endpoint(), {
        method: 'POST',
        headers: { ...TUS, 'Upload-Length': '4000', 'Content-Type': 'application/offset+octet-stream', 'Upload-Checksum': header },
        body,
      });
    const good = await create(checksum('sha256', body));
    expect(good.status).toBe(201);
    expect(good.headers.get('upload-offset')).toBe('2000');

    const uploads = path.join(server.dataDir, 'uploads');
    const before = new Set(readdirSync(uploads));
    const bad = await create(checksum('sha256', new Uint8Array(2000)));
    expect(bad.status).toBe(460);
    // Like tusd, the upload stays created (it expires unfinished), but none of the body counts.
    const created = readdirSync(uploads).filter((name) => !before.has(name) && !name.endsWith('.json'));
    expect(created).toHaveLength(1);
    expect(statSync(path.join(uploads, created[0]!)).size).toBe(0);
  });

  it('discards a chunk whose request stops half-way', async () => {
    const size = 200_000;
    const url = await createUpload(size);
    const full = new Uint8Array(size).fill(0x5a);
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        c.enqueue(full.subarray(0, size / 2));
      },
    });
    const aborter = new AbortController();
    const request = fetch(url, {
      method: 'PATCH',
      headers: { ...TUS, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'Upload-Checksum': checksum('sha1', full) },
      body,
      duplex: 'half',
      signal: aborter.signal,
    } as RequestInit).catch((err: unknown) => err);
    // The first half is on disk (not yet verified) …
    expect(await untilOffset(url, (offset) => offset >= size / 2)).toBe(size / 2);
    aborter.abort();
    controller.error(new Error('client gone'));
    expect(await request).toBeInstanceOf(Error);
    // … and is cut off once the request ends unverified.
    expect(await untilOffset(url, (offset) => offset === 0)).toBe(0);
    expect(fileSize(url)).toBe(0);
  });

  it('checks each of two concurrent PATCHes against its own header', async () => {
    const size = 100_000;
    const [urlA, urlB] = [await createUpload(size), await createUpload(size)];
    const data = new Uint8Array(size).fill(0x41);
    const streams: Array<ReadableStreamDefaultController<Uint8Array>> = [];
    const stalledBody = () =>
      new ReadableStream<Uint8Array>({
        start(c) {
          streams.push(c);
          c.enqueue(data.subarray(0, size / 2));
        },
      });
    const a = patch(urlA, 0, stalledBody(), { 'Upload-Checksum': checksum('sha1', data) });
    const b = patch(urlB, 0, stalledBody(), { 'Upload-Checksum': checksum('sha1', new Uint8Array(size)) });
    // Both are in the middle of their bodies at once.
    await untilOffset(urlA, (offset) => offset === size / 2);
    await untilOffset(urlB, (offset) => offset === size / 2);
    for (const c of streams) {
      c.enqueue(data.subarray(size / 2));
      c.close();
    }
    expect((await a).status).toBe(204);
    expect((await b).status).toBe(460);
    expect(await offsetOf(urlA)).toBe(size);
    expect(await offsetOf(urlB)).toBe(0);
  });
});
