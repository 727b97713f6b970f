/** The webhook signature as a receiver checks it, and the SSRF guard's idea of a non-public address. */
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signatureHeader, verifySignature } from '../../src/webhooks/webhook-signature.js';
import { isNonPublicAddress, parseWebhookUrl, refusedLiteralHost } from '../../src/webhooks/webhook-target.js';

const secret = newWebhookSecret();
const body = JSON.stringify({ id: 'evt', type: 'video.ready', createdAt: '2025-01-01T00:00:00.000Z', data: { video: { id: 'v' } } });
const nowSec = 1_750_000_000;

describe('webhook signature', () => {
  it('verifies what it signed', () => {
    const header = signatureHeader({ secret, body, timestampSec: nowSec });
    expect(header).toMatch(/^t=1750000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature({ secret, body, header, nowSec: nowSec + 10 })).toEqual({ valid: true, timestampSec: nowSec });
  });

  it('refuses a tampered body, another secret, or a tampered timestamp', () => {
    const header = signatureHeader({ secret, body, timestampSec: nowSec });
    expect(verifySignature({ secret, body: body.replace('video.ready', 'video.failed'), header, nowSec })).toEqual({ valid: false, reason: 'mismatch' });
    expect(verifySignature({ secret: newWebhookSecret(), body, header, nowSec })).toEqual({ valid: false, reason: 'mismatch' });
    // Moving the timestamp to pass the age check breaks the MAC.
    expect(verifySignature({ secret, body, header: header.replace(`t=${nowSec}`, `t=${nowSec + 1}`), nowSec })).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('refuses an old (replayed) or far-future signature', () => {
    const header = signatureHeader({ secret, body, timestampSec: nowSec });
    expect(verifySignature({ secret, body, header, nowSec: nowSec + 301 })).toEqual({ valid: false, reason: 'stale' });
    expect(verifySignature({ secret, body, header, nowSec: nowSec - 301 })).toEqual({ valid: false, reason: 'stale' });
    expect(verifySignature({ secret, body, header, nowSec: nowSec + 3600, toleranceSec: 7200 }).valid).toBe(true);
  });

  it('accepts any matching v1 among several (secret rotation) and refuses malformed headers', () => {
    const good = signatureHeader({ secret, body, timestampSec: nowSec });
    const other = signatureHeader({ secret: newWebhookSecret(), body, timestampSec: nowSec });
    expect(verifySignature({ secret, body, header: `${other},${good.split(',')[1]}`, nowSec }).valid).toBe(true);
    for (const header of [undefined, '', 'v1=abc', `t=${nowSec}`, `t=soon,${good.split(',')[1]}`, `t=${nowSec},v1=XYZ`]) {
      expect(verifySignature({ secret, body, header, nowSec })).toEqual({ valid: false, reason: 'malformed' });
    }
  });
});

describe('webhook targets', () => {
  it('knows non-public addresses', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '224.0.0.1']) {
      expect(isNonPublicAddress(address), address).toBe(true);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '172.32.0.1']) {
      expect(isNonPublicAddress(address), address).toBe(false);
    }
  });

  it('takes http(s) URLs only, without credentials', () => {
    expect(parseWebhookUrl('https://example.com/hook').href).toBe('https://example.com/hook');
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'gopher://x/', 'javascript:alert(1)', 'not a url', 'https://user:pw@example.com/']) {
      expect(() => parseWebhookUrl(url), url).toThrow();
    }
  });

  it('refuses literal private hosts unless allowed', () => {
    expect(refusedLiteralHost(new URL('http://127.0.0.1:9/x'), false)).toBe('127.0.0.1');
    expect(refusedLiteralHost(new URL('http://[::1]:9/x'), false)).toBe('::1');
    expect(refusedLiteralHost(new URL('http://127.0.0.1:9/x'), true)).toBeNull();
    expect(refusedLiteralHost(new URL('http://example.com/x'), false)).toBeNull();
  });
});
