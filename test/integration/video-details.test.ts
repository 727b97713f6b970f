/**
 * Video details over a real server and SQLite: PATCH /api/videos/:id (validation, normalisation,
 * any status, 404) and GET /api/videos with status, q, sort, limit/offset and total. The worker is
 * off: these videos need records, not renditions.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, startTestServer, type TestServer, uploadFile } from '../helpers/app-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ workerConcurrency: 0 });
});
afterAll(async () => {
  await server?.close();
});

async function patch(id: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(`${server.baseUrl}/api/videos/${id}`, { method: 'PATCH', headers: { ...authHeaders, ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function list(query: string) {
  const res = await fetch(`${server.baseUrl}/api/videos?${query}`);
  return { status: res.status, body: await res.json() };
}

/** A video record made the way users make them: a multipart upload (it stays processing). */
async function upload(title: string): Promise<string> {
  const file = path.join(server.dataDir, `${title.replace(/\W/g, '_')}.mp4`);
  writeFileSync(file, `not really a video: ${title}\n`);
  const { status, body } = await uploadFile(server.baseUrl, file, title);
  expect(status).toBe(201);
  return body.id;
}

describe('PATCH /api/videos/:id', () => {
  let id: string;
  beforeAll(async () => {
    id = await upload('Original title');
  });

  it('starts with an empty description and no tags', async () => {
    const video = await (await fetch(`${server.baseUrl}/api/videos/${id}`)).json();
    expect(video).toMatchObject({ title: 'Original title', description: '', tags: [], status: 'processing' });
  });

  it('edits title, description and tags while the video is processing, and keeps them', async () => {
    const { status, body } = await patch(id, {
      title: '  Holiday 2026 ',
      description: 'Day one.\nDay two.',
      tags: [' Beach ', 'sunset', 'beach', 'SUNSET', 'Family'],
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id,
      title: 'Holiday 2026',
      description: 'Day one.\nDay two.',
      tags: ['Beach', 'sunset', 'Family'],
      status: 'processing',
    });
    expect(await (await fetch(`${server.baseUrl}/api/videos/${id}`)).json()).toEqual(body);
  });

  it('changes only the fields sent; an empty list clears the tags', async () => {
    const { status, body } = await patch(id, { tags: [] });
    expect(status).toBe(200);
    expect(body).toMatchObject({ title: 'Holiday 2026', description: 'Day one.\nDay two.', tags: [] });
  });

  it('edits a failed video too', async () => {
    const failedId = await upload('Will fail');
    await server.ctx.videos.markFailed(failedId, 'not a video');
    const { status, body } = await patch(failedId, { description: 'kept for the record' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'failed', description: 'kept for the record' });
  });

  it.each([
    ['an unknown field', { title: 'ok', views: 5 }, /Unrecognized key.*"views"/],
    ['no field', {}, /at least one of title, description, tags/],
    ['a blank title', { title: '   ' }, /^title: /],
    ['a title with a control character', { title: 'a\u0000b' }, /title: a title may not contain control characters/],
    ['a description over 5000 characters', { description: 'x'.repeat(5001) }, /description: at most 5000 characters/],
    ['a description with a control character', { description: 'bell\u0007' }, /description: no control characters/],
    ['21 tags', { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, /tags: at most 20 tags/],
    ['an empty tag', { tags: ['ok', '  '] }, /tags\.1: a tag has 1 to 40 characters/],
    ['a 41-character tag', { tags: ['x'.repeat(41)] }, /tags\.0: a tag has 1 to 40 characters/],
    ['a tag with a control character', { tags: ['new\nline'] }, /tags\.0: a tag may not contain control characters/],
    ['tags that are not a list', { tags: 'a,b' }, /^tags: /],
    ['a JSON array', ['title'], /expected a JSON object/],
  ])('refuses %s with 400 and says why', async (_case, body, message) => {
    const res = await patch(id, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bad_request');
    expect(res.body.error.message).toMatch(message);
  });

  it('accepts exactly 20 tags of 40 characters', async () => {
    const tags = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(40, 'x'));
    const { status, body } = await patch(id, { tags });
    expect(status).toBe(200);
    expect(body.tags).toEqual(tags);
  });

  it('answers 404 for an unknown video and 400 for a malformed id', async () => {
    const unknown = await patch('AAAAAAAAAAAA', { title: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await patch('..%2Fetc', { title: 'x' })).status).toBe(400);
  });
});

describe('GET /api/videos filters, search and sort', () => {
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    // In creation order; created_at ties are broken by id, so sorts below name their expectation by title.
    for (const title of ['zebra crossing', 'Aardvark 100% real', 'mango_tango']) ids[title] = await upload(title);
    await server.ctx.videos.markReady(ids['zebra crossing']!, { output_prefix: 'videos/x/1/', progress_json: '{}' });
    await server.ctx.videos.update(ids['zebra crossing']!, { duration_ms: 60_000 });
    await server.ctx.videos.markReady(ids['mango_tango']!, { output_prefix: 'videos/y/1/', progress_json: '{}' });
    await server.ctx.videos.update(ids['mango_tango']!, { duration_ms: 5_000 });
    await patch(ids['Aardvark 100% real']!, { tags: ['Wildlife'], description: 'Filmed at dawn' });
  });

  const titles = (body: { videos: Array<{ title: string }> }) => body.videos.map((v) => v.title);
  const ours = (body: { videos: Array<{ id: string; title: string }> }) => body.videos.filter((v) => Object.values(ids).includes(v.id));

  it('returns total, limit and offset beside the page', async () => {
    const all = await list('');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ limit: 50, offset: 0 });
    expect(all.body.total).toBe(all.body.videos.length);
    const page = await list('limit=1&offset=1');
    expect(page.body).toMatchObject({ total: all.body.total, limit: 1, offset: 1 });
    expect(page.body.videos.map((v: { id: string }) => v.id)).toEqual([all.body.videos[1].id]);
  });

  it('filters by status, with the total of that status', async () => {
    const ready = await list('status=ready');
    expect(ready.status).toBe(200);
    expect(ready.body.videos.every((v: { status: string }) => v.status === 'ready')).toBe(true);
    expect(titles({ videos: ours(ready.body) }).sort()).toEqual(['mango_tango', 'zebra crossing']);
    expect(ready.body.total).toBe(ready.body.videos.length);
  });

  it('searches title, description and tags case-insensitively; wildcards are literal', async () => {
    expect(titles((await list('q=ZEBRA')).body)).toEqual(['zebra crossing']);
    expect(titles((await list('q=dawn')).body)).toEqual(['Aardvark 100% real']);
    expect(titles((await list('q=wildLIFE')).body)).toEqual(['Aardvark 100% real']);
    expect(titles((await list(`q=${encodeURIComponent('100%')}`)).body)).toEqual(['Aardvark 100% real']);
    expect(titles((await list('q=o_t')).body)).toEqual(['mango_tango']);
    const none = await list(`q=${encodeURIComponent('%_%')}`);
    expect(none.body).toMatchObject({ videos: [], total: 0 });
    const combined = await list('q=a&status=ready&sort=duration');
    expect(titles(combined.body)).toEqual(['mango_tango', 'zebra crossing']);
    expect(combined.body.total).toBe(2);
  });

  it('sorts newest, oldest, by title and by duration', async () => {
    const order = async (sort: string) => titles({ videos: ours((await list(`sort=${sort}&limit=100`)).body) });
    const newest = await order('newest');
    expect(await order('oldest')).toEqual([...newest].reverse());
    expect(await order('title')).toEqual(['Aardvark 100% real', 'mango_tango', 'zebra crossing']);
    expect(await order('duration')).toEqual(['mango_tango', 'zebra crossing', 'Aardvark 100% real']);
    expect(newest).toEqual(titles({ videos: ours((await list('limit=100')).body) }));
  });

  it('refuses an unknown status or sort with 400', async () => {
    expect((await list('status=deleted')).status).toBe(400);
    expect((await list('sort=views')).status).toBe(400);
    expect((await list(`q=${'x'.repeat(201)}`)).status).toBe(400);
  });
});
