/** Passwords (scrypt), API access tokens and playback tokens (HS256 JWTs): what they accept and refuse. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signAccessToken, verifyAccessToken } from '../../src/auth/access-token.js';
import { grantAllows, normaliseIp, signPlaybackToken, verifyPlaybackToken } from '../../src/auth/playback-token.js';
import { DUMMY_PASSWORD_HASH, generatePassword, hashPassword, verifyPassword } from '../../src/auth/password.js';
import { newApiKey, secretsEqual, sha256Hex } from '../../src/auth/secret-tokens.js';
import { cookieValue } from '../../src/auth/authenticator.js';

const key = () => new Uint8Array(randomBytes(32));

describe('passwords', () => {
  it('hash with scrypt and a random salt, and verify only the same password', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await hashPassword('correct horse')).not.toBe(hash);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct hors', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('refuse malformed hashes and the dummy hash, and normalise Unicode', async () => {
    for (const bad of ['', 'plain', 'scrypt$1$2$3', 'bcrypt$a$b$c$d$e', 'scrypt$99999999$8$1$AA$AA']) expect(await verifyPassword('x', bad)).toBe(false);
    expect(await verifyPassword('anything', DUMMY_PASSWORD_HASH)).toBe(false);
    expect(await verifyPassword('\u0065\u0301', await hashPassword('\u00e9'))).toBe(true);
    expect(generatePassword()).toMatch(/^[A-Za-z0-9_-]{20}$/);
  });
});

describe('secrets we hand out', () => {
  it('are 256-bit API keys with a recognisable prefix, stored as SHA-256, compared in constant time', () => {
    const a = newApiKey();
    expect(a).toMatch(/^sfk_[A-Za-z0-9_-]{43}$/);
    expect(newApiKey()).not.toBe(a);
    expect(sha256Hex(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(secretsEqual(a, a)).toBe(true);
    expect(secretsEqual(a, `${a}x`)).toBe(false);
  });

  it('read one cookie from a Cookie header', () => {
    expect(cookieValue('a=1; sf_session=abc_-; b=2', 'sf_session')).toBe('abc_-');
    expect(cookieValue('xsf_session=1', 'sf_session')).toBeUndefined();
  });
});

describe('access tokens', () => {
  it('name their user until they expire, and only under their own key', async () => {
    const k = key();
    const { token, expiresAt } = await signAccessToken({ key: k, userId: 'u1', expiresInSec: 60 });
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(await verifyAccessToken({ key: k, token })).toBe('u1');
    expect(await verifyAccessToken({ key: key(), token })).toBeNull();
    expect(await verifyAccessToken({ key: k, token: (await signAccessToken({ key: k, userId: 'u1', expiresInSec: -1 })).token })).toBeNull();
    expect(await verifyAccessToken({ key: k, token: 'not.a.jwt' })).toBeNull();
  });

  it('are never playback tokens, and playback tokens never access tokens, even under one key', async () => {
    const k = key();
    const access = (await signAccessToken({ key: k, userId: 'u1', expiresInSec: 60 })).token;
    const playback = (await signPlaybackToken({ key: k, videoId: 'v1', expiresInSec: 60 })).token;
    expect(await verifyPlaybackToken({ key: k, token: access })).toBeNull();
    expect(await verifyAccessToken({ key: k, token: playback })).toBeNull();
  });
});

describe('playback tokens', () => {
  it('grant one video until expiry, from the bound address when they name one', async () => {
    const k = key();
    const { token } = await signPlaybackToken({ key: k, videoId: 'AAAAAAAAAAAA', expiresInSec: 60, ip: '10.0.0.1', viewer: 'u9' });
    const grant = (await verifyPlaybackToken({ key: k, token }))!;
    expect(grant).toMatchObject({ videoId: 'AAAAAAAAAAAA', ip: '10.0.0.1', viewer: 'u9' });
    expect(grantAllows(grant, 'AAAAAAAAAAAA', '10.0.0.1')).toBe(true);
    expect(grantAllows(grant, 'AAAAAAAAAAAA', normaliseIp('::ffff:10.0.0.1'))).toBe(true);
    expect(grantAllows(grant, 'AAAAAAAAAAAA', '10.0.0.2')).toBe(false);
    expect(grantAllows(grant, 'BBBBBBBBBBBB', '10.0.0.1')).toBe(false);
    expect(grantAllows(grant, 'AAAAAAAAAAAA', '10.0.0.1', grant.expiresAtMs)).toBe(false);
  });

  it('are refused when expired, forged, tampered with or unsigned', async () => {
    const k = key();
    const expired = (await signPlaybackToken({ key: k, videoId: 'v', expiresInSec: -1 })).token;
    expect(await verifyPlaybackToken({ key: k, token: expired })).toBeNull();
    const good = (await signPlaybackToken({ key: k, videoId: 'v', expiresInSec: 60 })).token;
    expect(await verifyPlaybackToken({ key: key(), token: good })).toBeNull();
    const [h, p, s] = good.split('.');
    const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'w' })).toString('base64url');
    expect(await verifyPlaybackToken({ key: k, token: `${h}.${other}.${s}` })).toBeNull();
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(await verifyPlaybackToken({ key: k, token: `${none}.${p}.` })).toBeNull();
  });
});

describe('the sign-in rate limiter', () => {
  it('allows `limit` attempts per window and key, then refuses with the seconds until the window ends', async () => {
    const { RateLimiter } = await import('../../src/auth/rate-limiter.js');
    const { TooManyRequestsError } = await import('../../src/errors.js');
    const limiter = new RateLimiter({ limit: 2, windowMs: 60_000 });
    limiter.take('a', 0);
    limiter.take('a', 1_000);
    limiter.take('b', 1_000);
    let refused: unknown;
    try {
      limiter.take('a', 30_500);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect((refused as InstanceType<typeof TooManyRequestsError>).retryAfterSec).toBe(30);
    expect((refused as InstanceType<typeof TooManyRequestsError>).statusCode).toBe(429);
    expect(() => limiter.take('a', 60_000)).not.toThrow();
  });
});
