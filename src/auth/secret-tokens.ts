/**
 * Opaque secrets we hand out and only ever store hashed: session ids (cookie) and API keys.
 * They carry 256 random bits, so a single SHA-256 is enough to store them (a slow KDF protects
 * guessable secrets — passwords — and would only slow every API request here).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefix of API keys, so a leaked one is recognisable (secret scanners) and told apart from JWTs. */
export const API_KEY_PREFIX = 'sfk_';

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

export function newApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time string equality (through digests, so lengths leak nothing either). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
