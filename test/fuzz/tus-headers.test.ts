/**
 * Property tests of the tus request header we parse ourselves, Upload-Checksum. The others
 * (Upload-Offset, Upload-Length, Upload-Defer-Length, Upload-Metadata, Tus-Resumable, Content-Type)
 * are checked by @tus/server, which exports no parser: http.test.ts fuzzes them through the handler.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECKSUM_ALGORITHMS, parseUploadChecksum } from '../../src/api/tus-checksum.js';
import { fuzzParameters } from './fuzz-parameters.js';

const RUNS = 3000;
const DIGEST_BYTES: Record<string, number> = { sha1: 20, sha256: 32, md5: 16 };

/** Random letter case, as clients write algorithm names. */
const anyCase = (name: string) =>
  fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));

const algorithmName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...CHECKSUM_ALGORITHMS).chain(anyCase) },
  { weight: 2, arbitrary: fc.constantFrom('sha512', 'crc32', 'sha-1', 'md4', 'sha', '', 'constructor', '__proto__', 'SHA1 ') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9-]{0,10}$/) },
);

/** Digests of the supported lengths most of the time, any length up to 40 bytes otherwise. */
const digestBytes = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...Object.values(DIGEST_BYTES)).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
);

/** How the digest is written: right, unpadded, or garbled in one of the ways clients get it wrong. */
const ENCODINGS = ['canonical', 'unpadded', 'extra-padding', 'base64url', 'hex', 'inner-space', 'bad-char', 'truncated'] as const;
type Encoding = (typeof ENCODINGS)[number];

function encode(digest: Uint8Array, how: Encoding): string {
  const b64 = Buffer.from(digest).toString('base64');
  switch (how) {
    case 'canonical':
      return b64;
    case 'unpadded':
      return b64.replace(/=+$/, '');
    case 'extra-padding':
      return `${b64}=`;
    case 'base64url':
      return Buffer.from(digest).toString('base64url');
    case 'hex':
      return Buffer.from(digest).toString('hex');
    case 'inner-space':
      return `${b64.slice(0, 4)} ${b64.slice(4)}`;
    case 'bad-char':
      return `${b64.slice(0, 2)}*${b64.slice(3)}`;
    case 'truncated':
      return b64.slice(0, -4);
  }
}

function expectTusError(fn: () => unknown, status: number): void {
  try {
    fn();
  } catch (err) {
    expect(err).toMatchObject({ status_code: status, body: expect.stringMatching(/\n$/) });
    return;
  }
  throw new Error('expected a TusError');
}

describe('parseUploadChecksum (fuzzed)', () => {
  it('answers arbitrary text with a checksum or a 400 TusError, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 40 })), (header) => {
        let parsed;
        try {
          parsed = parseUploadChecksum(header);
        } catch (err) {
          expect(err).toMatchObject({ status_code: 400 });
          return;
        }
        expect(CHECKSUM_ALGORITHMS).toContain(parsed.algorithm);
        expect(parsed.digest.length).toBe(DIGEST_BYTES[parsed.algorithm]);
      }),
      fuzzParameters(RUNS),
    );
  });

  it('accepts exactly a supported algorithm with base64 (padded or not) of its digest length', () => {
    fc.assert(
      fc.property(algorithmName, digestBytes, fc.constantFrom(...ENCODINGS), fc.constantFrom('', ' ', '\t'), (name, digest, how, blank) => {
        const algorithm = name.toLowerCase();
        const header = `${blank}${name} ${encode(digest, how)}${blank}`;
        const base64 = Buffer.from(digest).toString('base64');
        const written = encode(digest, how);
        const valid =
          algorithm in DIGEST_BYTES &&
          !name.includes(' ') &&
          digest.length === DIGEST_BYTES[algorithm] &&
          (written === base64 || written === base64.replace(/=+$/, ''));
        if (valid) {
          const parsed = parseUploadChecksum(header);
          expect(parsed.algorithm).toBe(algorithm);
          expect(Buffer.compare(parsed.digest, Buffer.from(digest))).toBe(0);
        } else {
          expectTusError(() => parseUploadChecksum(header), 400);
        }
      }),
      fuzzParameters(RUNS),
    );
  });

  // Found by the property above: a digest with one '=' too many passed as valid.
  it('refuses padding that base64 would not write', () => {
    const sha256 = Buffer.alloc(32, 7).toString('base64');
    expect(sha256.endsWith('=') && !sha256.endsWith('==')).toBe(true);
    expectTusError(() => parseUploadChecksum(`sha256 ${sha256}=`), 400);
    expect(parseUploadChecksum(`sha256 ${sha256}`).digest).toEqual(Buffer.alloc(32, 7));
    expect(parseUploadChecksum(`sha256 ${sha256.replace(/=+$/, '')}`).digest).toEqual(Buffer.alloc(32, 7));
  });
});
