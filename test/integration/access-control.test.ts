/**
 * Accounts and access control over real HTTP (docs/security.md): roles, sessions, access tokens,
 * API keys, the bootstrap key, and above all that another user's private video — its record, its
 * manifests and segments, captions, images, download and original — cannot be reached by guessing
 * ids, by path tricks, or with a token for a different video, an expired token or a forged one;
 * and that the URLs the API answers its owner or a token holder work in their browser.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPlaybackToken, verifyPlaybackToken } from '../../src/auth/playback-token.js';
import { newId } from '../../src/ids.js';
import { thumbnailsStage } from '../../src/pipeline/stages/thumbnails.js';
import { authHeaders, followEvents, startTestServer, TEST_ADMIN, type TestServer, uploadFile } from '../helpers/app-server.js';
import { corpusFile, generatedClip } from '../helpers/media.js';

let server: TestServer;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** GET with the path sent byte for byte (fetch and URL would normalise `..` and `%2e`). */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const { hostname, port } = new URL(server.baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function json(path: string, init: RequestInit = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${server.baseUrl}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  return json(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function createUser(username: string, role: string): Promise<{ id: string; token: string }> {
  const password = `${username}-password`;
  const created = await postJson('/api/users', { username, password, role }, authHeaders);
  expect(created.status).toBe(201);
  const token = await postJson('/api/auth/token', { username, password });
  expect(token.status).toBe(200);
  return { id: created.body.id, token: token.body.accessToken };
}

async function uploadReady(file: string, headers: Record<string, string>, visibility: 'public' | 'unlisted' | 'private'): Promise<any> {
  const up = await uploadFile(server.baseUrl, file, undefined, { headers, visibility });
  expect(up.status).toBe(201);
  expect(up.body.visibility).toBe(visibility);
  const events = await followEvents(server.baseUrl, up.body.id);
  expect(events.at(-1)!.event).toBe('ready');
  return events.at(-1)!.data;
}

let alice: { id: string; token: string };
let bob: { id: string; token: string };
let viewer: { id: string; token: string };
/** Alice's private video (with captions), Bob's private video, Alice's unlisted and public ones. */
let secret: any;
let bobs: any;
let unlisted: any;
let open: any;

beforeAll(async () => {
  // The thumbnails stage only: its picks are among the image URLs a private video's owner is given.
  server = await startTestServer({}, { stages: [thumbnailsStage] });
  alice = await createUser('alice', 'creator');
  bob = await createUser('bob', 'creator');
  viewer = await createUser('victor', 'viewer');
  const small = generatedClip({ seconds: 2, width: 320, height: 240, fps: 25 });
  [secret, bobs, unlisted, open] = await Promise.all([
    uploadReady(corpusFile('mkv_h264_ac3_srt__androidx_sample_with_srt.mkv'), bearer(alice.token), 'private'),
    uploadReady(small, bearer(bob.token), 'private'),
    uploadReady(small, bearer(alice.token), 'unlisted'),
    uploadReady(small, bearer(alice.token), 'public'),
  ]);
  expect(secret.subtitles.length).toBeGreaterThan(0);
  expect(secret.ownerId).toBe(alice.id);
});

afterAll(async () => {
  await server?.close();
});

describe('accounts', () => {
  it('starts with an admin whose password is STREAMFORGE_ADMIN_PASSWORD, and the API key acts as that admin', async () => {
    const token = await postJson('/api/auth/token', TEST_ADMIN);
    expect(token.status).toBe(200);
    const me = await json('/api/auth/me', { headers: bearer(token.body.accessToken) });
    expect(me.body.user).toMatchObject({ username: 'admin', role: 'admin' });
    expect((await json('/api/auth/me', { headers: authHeaders })).body.user).toMatchObject({ username: 'admin' });
    expect((await json('/api/auth/me')).body.user).toBeNull();
  });

  it('refuses wrong passwords, bad bearer credentials and non-admins managing users', async () => {
    expect((await postJson('/api/auth/token', { username: 'alice', password: 'nope-nope' })).status).toBe(401);
    expect((await postJson('/api/auth/token', { username: 'nobody', password: 'nope-nope' })).status).toBe(401);
    const bad = await json('/api/videos', { method: 'POST', headers: bearer('sfk_not-a-key') });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('unauthorized');
    expect((await json(`/api/videos/${secret.id}`, { headers: bearer('a.b.c') })).status).toBe(401);
    expect((await postJson('/api/users', { username: 'mallory', password: 'password1', role: 'admin' }, bearer(alice.token))).status).toBe(403);
    expect((await json('/api/users', { headers: bearer(bob.token) })).status).toBe(403);
    expect((await postJson('/api/users', { username: 'alice', password: 'password1' }, authHeaders)).status).toBe(409);
  });

  it('lets only creators and admins upload', async () => {
    const small = generatedClip({ seconds: 2, width: 320, height: 240, fps: 25 });
    expect((await uploadFile(server.baseUrl, small, undefined, { headers: {} })).status).toBe(401);
    const asViewer = await uploadFile(server.baseUrl, small, undefined, { headers: bearer(viewer.token) });
    expect(asViewer.status).toBe(403);
    expect(asViewer.body.error.code).toBe('forbidden');
    const tusAnonymous = await fetch(`${server.baseUrl}/api/uploads`, { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '10' } });
    expect(tusAnonymous.status).toBe(401);
    const tusViewer = await fetch(`${server.baseUrl}/api/uploads`, { method: 'POST', headers: { ...bearer(viewer.token), 'Tus-Resumable': '1.0.0', 'Upload-Length': '10' } });
    expect(tusViewer.status).toBe(403);
  });

  it("keeps a resumable upload to its creator: another user's HEAD, PATCH, DELETE and status get 404", async () => {
    const created = await fetch(`${server.baseUrl}/api/uploads`, {
      method: 'POST',
      headers: { ...bearer(alice.token), 'Tus-Resumable': '1.0.0', 'Upload-Length': '10', 'Upload-Metadata': `streamforgeOwnerId ${Buffer.from(bob.id).toString('base64')}` },
    });
    expect(created.status).toBe(201);
    const url = new URL(created.headers.get('location')!, server.baseUrl).href;
    const tus = { 'Tus-Resumable': '1.0.0' };
    expect((await fetch(url, { method: 'HEAD', headers: { ...tus, ...bearer(bob.token) } })).status).toBe(404);
    expect((await fetch(url, { headers: bearer(bob.token) })).status).toBe(404);
    const patch = await fetch(url, { method: 'PATCH', headers: { ...tus, ...bearer(bob.token), 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, body: 'x'.repeat(10) });
    expect(patch.status).toBe(404);
    expect((await fetch(url, { method: 'DELETE', headers: { ...tus, ...bearer(bob.token) } })).status).toBe(404);
    expect((await fetch(url, { method: 'HEAD', headers: tus })).status).toBe(401);
    // The spoofed owner in the metadata was dropped: the upload is Alice's.
    const head = await fetch(url, { method: 'HEAD', headers: { ...tus, ...bearer(alice.token) } });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe('0');
  });

  it('issues API keys once, stores them hashed, and revokes them', async () => {
    const created = await postJson('/api/api-keys', { name: 'ci' }, bearer(alice.token));
    expect(created.status).toBe(201);
    const key: string = created.body.key;
    expect(key).toMatch(/^sfk_/);
    expect((await json(`/api/videos/${secret.id}`, { headers: bearer(key) })).status).toBe(200);
    const listed = await json('/api/api-keys', { headers: bearer(alice.token) });
    expect(listed.body.apiKeys.map((k: any) => k.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(key);
    const stored = await server.ctx.database.db.selectFrom('api_keys').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(stored.key_hash).not.toContain(key.slice(4));
    // Bob cannot revoke Alice's key; Alice can.
    expect((await json(`/api/api-keys/${created.body.id}`, { method: 'DELETE', headers: bearer(bob.token) })).status).toBe(404);
    expect((await json(`/api/api-keys/${created.body.id}`, { method: 'DELETE', headers: bearer(alice.token) })).status).toBe(204);
    expect((await json(`/api/videos/${secret.id}`, { headers: bearer(key) })).status).toBe(401);
    expect((await rawGet(secret.playback.hls, bearer(key))).status).toBe(404);
  });

  it('signs the web app in with an HttpOnly SameSite cookie, refuses cross-site writes with it, and signs out', async () => {
    const login = await postJson('/api/auth/login', { username: 'alice', password: 'alice-password' });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^sf_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i); // plain http here; behind https it is Secure (see below)
    const cookie = setCookie.split(';')[0]!;
    expect((await json('/api/auth/me', { headers: { cookie } })).body.user.username).toBe('alice');
    // Her private video, its files, with the cookie alone (as hls.js fetches them from the web app).
    expect((await json(`/api/videos/${secret.id}`, { headers: { cookie } })).status).toBe(200);
    expect((await rawGet(secret.playback.hls, { cookie })).status).toBe(200);

    const patch = (headers: Record<string, string>) =>
      json(`/api/videos/${secret.id}`, { method: 'PATCH', headers: { cookie, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ title: 'Mine' }) });
    const crossSite = await patch({ origin: 'http://evil.example' });
    expect(crossSite.status).toBe(403);
    expect((await patch({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await patch({ origin: server.baseUrl, 'sec-fetch-site': 'same-origin' })).status).toBe(200);

    const secure = await postJson('/api/auth/login', { username: 'alice', password: 'alice-password' }, { 'x-forwarded-proto': 'https' });
    expect(secure.headers.get('set-cookie')).toMatch(/;\s*Secure/i);

    expect((await json('/api/auth/logout', { method: 'POST', headers: { cookie, origin: server.baseUrl } })).status).toBe(204);
    expect((await json('/api/auth/me', { headers: { cookie } })).body.user).toBeNull();
    expect((await rawGet(secret.playback.hls, { cookie })).status).toBe(404);
  });
});

describe("another user's private video", () => {
  const others = () => [
    ['anonymous', {}],
    ['another creator', bearer(bob.token)],
    ['a viewer', bearer(viewer.token)],
  ] as Array<[string, Record<string, string>]>;

  it('is not listed, and its record, events, stages, quality, images and storyboard answer 404 like a video that does not exist', async () => {
    for (const [who, headers] of others()) {
      const list = await json('/api/videos?limit=100', { headers });
      const ids = list.body.videos.map((v: any) => v.id);
      expect(ids, who).not.toContain(secret.id);
      expect(ids, who).not.toContain(unlisted.id);
      expect(ids, who).toContain(open.id);
      for (const path of ['', '/events', '/stages', '/stages/thumbnails', '/quality', '/thumbnail.jpg', '/thumbnails', '/preview.webp', '/storyboard.vtt', '/storyboard.json']) {
        const res = await json(`/api/videos/${secret.id}${path}`, { headers });
        expect(res.status, `${who} ${path}`).toBe(404);
        expect(res.body.error.code).toBe('not_found');
        const missing = await json(`/api/videos/${newId()}${path}`, { headers });
        expect(missing.body.error.message.replace(/[0-9A-Za-z]{12}/, 'ID'), path).toBe(res.body.error.message.replace(/[0-9A-Za-z]{12}/, 'ID'));
      }
    }
    // Owners list their own, admins everything.
    expect((await json('/api/videos?owner=me', { headers: bearer(alice.token) })).body.videos.map((v: any) => v.id)).toEqual(
      expect.arrayContaining([secret.id, unlisted.id, open.id]),
    );
    expect((await json('/api/videos?limit=100', { headers: authHeaders })).body.videos.map((v: any) => v.id)).toContain(bobs.id);
  });

  it('cannot be changed, deleted, re-processed or given a playback token by anyone but its owner and admins', async () => {
    for (const [who, headers] of others()) {
      const patch = await json(`/api/videos/${secret.id}`, { method: 'PATCH', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ visibility: 'public' }) });
      expect(patch.status, who).toBe(404);
      expect((await json(`/api/videos/${secret.id}`, { method: 'DELETE', headers })).status, who).toBe(404);
      expect((await postJson(`/api/videos/${secret.id}/stages/thumbnails`, {}, headers)).status, who).toBe(404);
      expect((await postJson(`/api/videos/${secret.id}/playback-token`, {}, headers)).status, who).toBe(404);
    }
    // A public video of Alice's: others see it but may not change it.
    const patchOpen = await json(`/api/videos/${open.id}`, { method: 'PATCH', headers: { ...bearer(bob.token), 'content-type': 'application/json' }, body: JSON.stringify({ title: 'x' }) });
    expect(patchOpen.status).toBe(403);
    expect((await json(`/api/videos/${open.id}`, { method: 'DELETE' })).status).toBe(401);
  });

  it('has manifests, segments, captions, poster, storyboard and download that answer 404 without a token', async () => {
    const files = await filesOf(secret, bearer(alice.token));
    expect(files.length).toBeGreaterThan(8);
    expect(files.some((f) => f.endsWith('.vtt'))).toBe(true);
    for (const file of files) {
      for (const [who, headers] of others()) expect((await rawGet(file, headers)).status, `${who} ${file}`).toBe(404);
      // Only the owner (and admins) with credentials; the answer must not be kept by shared caches.
      const owner = await rawGet(file, bearer(alice.token));
      expect(owner.status, file).toBe(200);
      expect(owner.headers['cache-control']).toBe('private, no-store');
      expect((await rawGet(file, authHeaders)).status, file).toBe(200);
    }
  });

  it('is not reachable by path tricks: dot segments, encoded slashes and dots, double encoding, token prefixes of other videos', async () => {
    const version = secret.playback.hls.split('/')[3];
    const pubVersion = open.playback.hls.split('/')[3];
    const bobToken = (await postJson(`/api/videos/${bobs.id}/playback-token`, {}, bearer(bob.token))).body.token;
    const s = secret.id;
    const tricks = [
      `/stream/${open.id}/../${s}/${version}/master.m3u8`,
      `/stream/${open.id}/${pubVersion}/../../${s}/${version}/master.m3u8`,
      `/stream/${open.id}/%2e%2e/${s}/${version}/master.m3u8`,
      `/stream/${open.id}/%2E%2E/${s}/${version}/master.m3u8`,
      `/stream/${open.id}%2f..%2f${s}/${version}/master.m3u8`,
      `/stream/${open.id}/..%2f${s}%2f${version}%2fmaster.m3u8`,
      `/stream/${open.id}/..%252f${s}%252f${version}%252fmaster.m3u8`,
      `/stream/${open.id}/%252e%252e/${s}/${version}/master.m3u8`,
      `/stream/${open.id}\\..\\${s}/${version}/master.m3u8`,
      `/stream/${open.id}/./../${s}/${version}/master.m3u8`,
      `/stream//${s}/${version}/master.m3u8`,
      `/stream/./${s}/${version}/master.m3u8`,
      `/stream/t/${bobToken}/${s}/${version}/master.m3u8`,
      `/stream/t/${bobToken}/${bobs.id}/../${s}/${version}/master.m3u8`,
      `/stream/t/${bobToken}/${bobs.id}/%2e%2e/${s}/${version}/master.m3u8`,
      `/stream/t/${bobToken}%2f..%2f${s}/${version}/master.m3u8`,
      `/stream/${s}/${version}/master.m3u8?token=${bobToken}`,
      `/stream/${s}/${version}/master.m3u8?token=&token=${bobToken}`,
      `/stream/${s.toLowerCase()}/${version}/master.m3u8`,
      // Originals are never under /stream/, whatever the path.
      `/stream/${open.id}/${pubVersion}/../../../originals/${s}`,
      `/stream/${open.id}/${pubVersion}/%2e%2e/%2e%2e/%2e%2e/originals/${s}`,
      `/stream/t/${bobToken}/../originals/${s}`,
      `/stream/%2e%2e/originals/${s}`,
      `/stream/..%2foriginals%2f${s}`,
      `/originals/${s}`,
      `/api/videos/${s}/../../../originals/${s}`,
      `/api/videos/${open.id}/..%2f${s}`,
      `/api/videos/${open.id}%2f..%2f${s}`,
      `/api/videos/${open.id}/%2e%2e/${s}`,
    ];
    for (const path of tricks) {
      const res = await rawGet(path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(res.body.toString('latin1'), path).not.toMatch(/#EXTM3U|ftyp|"id":"/);
    }
    // The original's bytes are served by no URL: not even to its owner.
    for (const path of [`/stream/${s}/originals`, `/stream/${s}/${version}/../../../originals/${s}`]) {
      expect((await rawGet(path, bearer(alice.token))).status, path).toBe(404);
    }
  });
});

describe('playback tokens', () => {
  let token: string;
  let urls: any;

  beforeAll(async () => {
    const minted = await postJson(`/api/videos/${secret.id}/playback-token`, { expiresInSec: 600 }, bearer(alice.token));
    expect(minted.status).toBe(200);
    token = minted.body.token;
    urls = minted.body;
    expect(Date.parse(minted.body.expiresAt) - Date.now()).toBeGreaterThan(590_000);
  });

  it("authorise the manifest and, through its relative URIs, every rendition, segment and caption — with no credentials", async () => {
    expect(urls.playback.hls).toBe(`/stream/t/${token}/${secret.playback.hls.slice('/stream/'.length)}`);
    const files = await filesOf({ ...secret, playback: urls.playback, subtitles: urls.subtitles }, {});
    expect(files.filter((f) => f.endsWith('.m4s')).length).toBeGreaterThan(3);
    for (const file of files) {
      const res = await rawGet(file);
      expect(res.status, file).toBe(200);
      expect(res.headers['cache-control']).toBe('private, no-store');
    }
    // The DASH manifest names its segments by templates relative to itself: the prefix carries over too.
    const mpd = await rawGet(urls.playback.dash);
    expect(mpd.status).toBe(200);
    const init = /initialization="([^"]+)"/.exec(mpd.body.toString())![1]!.replace('$RepresentationID$', '0');
    expect((await rawGet(new URL(init, `http://x${urls.playback.dash}`).pathname)).status).toBe(200);
  });

  it('work as ?token= for single files and for the image API, and the storyboard redirect keeps them', async () => {
    expect((await rawGet(`${secret.playback.mp4}?token=${token}`)).status).toBe(200);
    expect((await rawGet(`${secret.playback.poster}?token=${token}`)).status).toBe(200);
    expect((await rawGet(`${secret.subtitles[0].url}?token=${token}`)).status).toBe(200);
    const thumbnail = await fetch(`${server.baseUrl}${urls.thumbnail}&width=160`);
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    expect(thumbnail.headers.get('cache-control')).toBe('private, no-store');
    const storyboard = await fetch(`${server.baseUrl}/api/videos/${secret.id}/storyboard.vtt?token=${token}`, { redirect: 'manual' });
    expect(storyboard.status).toBe(302);
    const target = storyboard.headers.get('location')!;
    expect(target).toContain(`/stream/t/${token}/`);
    expect((await rawGet(target)).status).toBe(200);
    // Not the record or anything that changes the video.
    expect((await json(`/api/videos/${secret.id}?token=${token}`)).status).toBe(404);
    expect((await json(`/api/videos/${secret.id}`, { headers: bearer(token) })).status).toBe(401);
  });

  it('authorise that video only: not another private video, nor with a token for another one', async () => {
    const bobFiles = await filesOf(bobs, bearer(bob.token));
    for (const file of bobFiles) {
      expect((await rawGet(file.replace('/stream/', `/stream/t/${token}/`))).status, file).toBe(404);
      expect((await rawGet(`${file}?token=${token}`)).status, file).toBe(404);
    }
    expect((await json(`/api/videos/${bobs.id}/thumbnail.jpg?token=${token}`)).status).toBe(404);
  });

  it('refuse expired tokens, forged signatures, tampered claims and tokens bound to another address', async () => {
    const key = server.ctx.auth.keys.playback;
    const path = secret.playback.hls.slice('/stream/'.length);
    const expired = (await signPlaybackToken({ key, videoId: secret.id, expiresInSec: -5 })).token;
    const forged = (await signPlaybackToken({ key: new Uint8Array(randomBytes(32)), videoId: secret.id, expiresInSec: 600 })).token;
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: bobs.id })).toString('base64url')}.${signature}`;
    const elsewhere = (await postJson(`/api/videos/${secret.id}/playback-token`, { ip: '203.0.113.9' }, bearer(alice.token))).body.token;
    const here = (await postJson(`/api/videos/${secret.id}/playback-token`, { bindToClientIp: true }, bearer(alice.token))).body.token;
    // An access token is signed with another key and names another audience: no playback token.
    const access = alice.token;
    for (const [name, bad] of Object.entries({ expired, forged, tampered, elsewhere, access, none: `${header}.${payload}.` })) {
      expect((await rawGet(`/stream/t/${bad}/${path}`)).status, name).toBe(404);
      expect((await rawGet(`/stream/${path}?token=${bad}`)).status, name).toBe(404);
      expect((await json(`/api/videos/${secret.id}/thumbnail.jpg?token=${bad}`)).status, name).toBe(404);
    }
    expect((await rawGet(`/stream/t/${tampered.replace(`${bobs.id}`, '')}/${bobs.playback.hls.slice('/stream/'.length)}`)).status).toBe(404);
    expect((await rawGet(`/stream/t/${here}/${path}`)).status).toBe(200);
  });

  it('take effect at once when the owner changes the visibility, and unlisted videos play by id', async () => {
    const hls = secret.playback.hls;
    expect((await rawGet(hls)).status).toBe(404);
    const setVisibility = (visibility: string) =>
      json(`/api/videos/${secret.id}`, { method: 'PATCH', headers: { ...bearer(alice.token), 'content-type': 'application/json' }, body: JSON.stringify({ visibility }) });
    expect((await setVisibility('public')).body.visibility).toBe('public');
    const publicAnswer = await rawGet(hls);
    expect(publicAnswer.status).toBe(200);
    expect(publicAnswer.headers['cache-control']).toMatch(/^public/);
    expect((await setVisibility('private')).status).toBe(200);
    expect((await rawGet(hls)).status).toBe(404);
    expect((await setVisibility('secret')).status).toBe(400);

    expect((await json(`/api/videos/${unlisted.id}`)).status).toBe(200);
    for (const file of await filesOf(unlisted, {})) expect((await rawGet(file)).status, file).toBe(200);
  });
});

describe("a private video's URLs, as its viewers' browsers fetch them", () => {
  /** An <img>, <video> or <track> request: the page's cookie, if any, and never an Authorization header. */
  const browserGet = (url: string, cookie?: string) => rawGet(url, cookie === undefined ? {} : { cookie });
  const hasToken = (url: string) => url.startsWith('/stream/t/') || /[?&]token=/.test(url);

  beforeAll(async () => {
    const deadline = Date.now() + 90_000;
    let status: string;
    while ((status = (await json(`/api/videos/${secret.id}/thumbnails`, { headers: authHeaders })).body.status) !== 'done') {
      if (status === 'failed' || Date.now() > deadline) throw new Error(`thumbnails stage: ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  /** Every URL the record and the thumbnails list give this caller, with the storyboard's sprites (relative to it). */
  async function urlsFor(headers: Record<string, string>, query = ''): Promise<{ record: any; urls: string[] }> {
    const record = await json(`/api/videos/${secret.id}${query}`, { headers });
    const thumbnails = await json(`/api/videos/${secret.id}/thumbnails${query}`, { headers });
    expect(thumbnails.status).toBe(200);
    expect(thumbnails.body.thumbnails.length).toBeGreaterThan(0);
    const urls: string[] = thumbnails.body.thumbnails.flatMap((t: any) => [t.url, t.imageUrl]);
    if (record.status === 200) {
      const { playback, subtitles } = record.body;
      expect(playback.poster && playback.storyboard && subtitles.length).toBeTruthy();
      urls.push(playback.hls, playback.dash, playback.mp4, playback.poster, playback.storyboard, ...subtitles.map((s: any) => s.url));
      const vtt = (await rawGet(playback.storyboard, headers)).body.toString();
      const sprites = new Set([...vtt.matchAll(/^(\S+\.(?:jpg|webp|png))#xywh=/gm)].map((m) => new URL(m[1]!, `http://x${playback.storyboard}`).pathname));
      expect(sprites.size).toBeGreaterThan(0);
      urls.push(...sprites);
    }
    return { record, urls };
  }

  it('work with the session cookie alone, the owner signed in to the web app: plain URLs, no token minted', async () => {
    const login = await postJson('/api/auth/login', { username: 'alice', password: 'alice-password' });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const { record, urls } = await urlsFor({ cookie });
    expect(record.status).toBe(200);
    for (const url of urls) {
      expect(hasToken(url), url).toBe(false);
      expect((await browserGet(url, cookie)).status, url).toBe(200);
    }
  });

  it('carry a playback token in their name for the owner or an admin with a bearer credential, which no browser sends', async () => {
    for (const [who, headers, userId] of [['owner', bearer(alice.token), alice.id], ['admin (API key)', authHeaders, undefined]] as const) {
      const { record, urls } = await urlsFor(headers);
      expect(record.status, who).toBe(200);
      const tokens = new Set(urls.map((url) => /^\/stream\/t\/([^/]+)\/|[?&]token=([^&]+)/.exec(url)?.slice(1).find(Boolean)));
      expect(tokens.has(undefined), who).toBe(false);
      for (const token of tokens) {
        const grant = await verifyPlaybackToken({ key: server.ctx.auth.keys.playback, token: token! });
        expect(grant?.videoId, who).toBe(secret.id);
        if (userId) expect(grant?.viewer, who).toBe(userId);
        expect(grant?.ip, who).toBeUndefined();
      }
      for (const url of urls) expect((await browserGet(url)).status, `${who} ${url}`).toBe(200);
    }
    // The owner's list answers the same way.
    const listed = (await json('/api/videos?owner=me', { headers: bearer(alice.token) })).body.videos.find((v: any) => v.id === secret.id);
    expect((await browserGet(listed.playback.poster)).status).toBe(200);
  });

  it('carry the playback token the request carried, for the image API; none is minted for anyone else', async () => {
    const token = (await postJson(`/api/videos/${secret.id}/playback-token`, { expiresInSec: 600 }, bearer(alice.token))).body.token;
    const { record, urls } = await urlsFor({}, `?token=${token}`);
    expect(record.status).toBe(404); // the token opens the files and images, not the record
    for (const url of urls) {
      expect(url.startsWith(`/stream/t/${token}/`) || url.endsWith(`&token=${token}`), url).toBe(true);
      expect((await browserGet(url)).status, url).toBe(200);
    }
    // No token for a token that does not grant this video, for anonymous callers, nor for public videos.
    const bobToken = (await postJson(`/api/videos/${bobs.id}/playback-token`, {}, bearer(bob.token))).body.token;
    expect((await json(`/api/videos/${secret.id}/thumbnails?token=${bobToken}`)).status).toBe(404);
    expect((await json(`/api/videos/${secret.id}/thumbnails`)).status).toBe(404);
    for (const headers of [{}, bearer(alice.token)]) {
      const publicRecord = await json(`/api/videos/${open.id}`, { headers });
      expect(JSON.stringify(publicRecord.body)).not.toMatch(/\/stream\/t\/|token=/);
      expect((await browserGet(publicRecord.body.playback.poster)).status).toBe(200);
    }
  });
});

/** Every file a player would fetch for a video, found from its master playlist (relative URIs resolved), plus its extras. */
async function filesOf(video: any, headers: Record<string, string>): Promise<string[]> {
  const files = new Set<string>();
  const visit = async (path: string) => {
    if (files.has(path)) return;
    files.add(path);
    if (!path.endsWith('.m3u8')) return;
    const res = await rawGet(path, headers);
    expect(res.status, path).toBe(200);
    for (const line of res.body.toString().split('\n')) {
      const uris = line.startsWith('#') ? [...line.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!) : line.trim() ? [line.trim()] : [];
      for (const uri of uris) await visit(new URL(uri, `http://x${path}`).pathname);
    }
  };
  await visit(video.playback.hls);
  files.add(video.playback.dash);
  for (const extra of [video.playback.mp4, video.playback.poster, video.playback.storyboard]) if (extra) files.add(extra);
  for (const subtitle of video.subtitles ?? []) files.add(subtitle.url);
  return [...files];
}

describe('password guessing', () => {
  it('is limited per client address: 429 with Retry-After once the attempts of a minute are spent', async () => {
    const limited = await startTestServer({ authAttemptsPerMinute: 3 }, { stages: [], runWorker: false });
    try {
      const attempt = (password: string) =>
        fetch(`${limited.baseUrl}/api/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
      expect((await attempt('wrong-1')).status).toBe(401);
      expect((await attempt('wrong-2')).status).toBe(401);
      expect((await attempt(TEST_ADMIN.password)).status).toBe(200);
      const refused = await attempt(TEST_ADMIN.password);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await refused.json()) as any).error.code).toBe('rate_limited');
      // Other routes, and the API key, are not affected.
      expect((await fetch(`${limited.baseUrl}/api/auth/me`, { headers: authHeaders })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
