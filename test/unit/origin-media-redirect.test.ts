/** Redirect delivery's signing windows: one URL per window, every URL with half its lifetime left, 302s cached until the window ends. */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createMediaRedirect } from '../../src/delivery/media-redirect.js';
import type { SignedUrlOptions } from '../../src/storage/blob-store.js';

function fakeResponse() {
  const answer: { status?: number; headers?: string[]; ended?: boolean } = {};
  const res = {
    writeHead(status: number, headers: string[]) {
      answer.status = status;
      answer.headers = headers;
      return this;
    },
    end() {
      answer.ended = true;
    },
  } as unknown as ServerResponse;
  const header = (name: string) => answer.headers![answer.headers!.indexOf(name) + 1];
  return { res, answer, header };
}

describe('media redirect', () => {
  const signed: Array<{ key: string } & SignedUrlOptions> = [];
  const signer = {
    async signedUrl(key: string, options: SignedUrlOptions) {
      signed.push({ key, ...options });
      return `https://s3.example/${key}?signedAt=${options.signedAt!.toISOString()}`;
    },
  };

  it('signs as of the start of a window of half the lifetime and lets the 302 be cached until the window ends', async () => {
    let now = Date.parse('2030-01-01T00:10:00Z') + 123;
    const redirect = createMediaRedirect({ signer, expiresInSeconds: 3600, nowMs: () => now });
    const target = { key: 'videos/a/1/v0/seg_00001.m4s', contentType: 'video/iso.segment' };

    const first = fakeResponse();
    await redirect.respond(first.res, target, ['Access-Control-Allow-Origin', '*']);
    expect(first.answer.status).toBe(302);
    expect(first.header('Location')).toBe('https://s3.example/videos/a/1/v0/seg_00001.m4s?signedAt=2030-01-01T00:00:00.000Z');
    expect(first.header('Cache-Control')).toBe(`private, max-age=${30 * 60 - 10 * 60}`);
    expect(first.header('Access-Control-Allow-Origin')).toBe('*');
    expect(first.answer.ended).toBe(true);
    expect(signed.at(-1)).toMatchObject({
      expiresInSeconds: 3600,
      contentType: 'video/iso.segment',
      cacheControl: 'public, max-age=31536000, immutable',
    });

    // Same window: same URL (not signed again), shorter max-age. Next window: signed anew.
    const signatures = signed.length;
    now = Date.parse('2030-01-01T00:29:59Z');
    const later = fakeResponse();
    await redirect.respond(later.res, target, []);
    expect(later.header('Location')).toBe(first.header('Location'));
    expect(later.header('Cache-Control')).toBe('private, max-age=1');
    expect(signed.length).toBe(signatures);
    now = Date.parse('2030-01-01T00:30:00Z');
    const next = fakeResponse();
    await redirect.respond(next.res, target, []);
    expect(next.header('Location')).toBe('https://s3.example/videos/a/1/v0/seg_00001.m4s?signedAt=2030-01-01T00:30:00.000Z');
    expect(next.header('Cache-Control')).toBe('private, max-age=1800');
    expect(signed.length).toBe(signatures + 1);
  });

  it('refuses a lifetime too short to have windows', () => {
    expect(() => createMediaRedirect({ signer, expiresInSeconds: 1 })).toThrow(RangeError);
  });
});
