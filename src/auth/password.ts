/**
 * Password hashing with scrypt (node:crypto): memory-hard, so a stolen table costs an attacker
 * memory as well as time per guess, and no native dependency. The stored string carries its own
 * parameters (`scrypt$N$r$p$salt$hash`), so they can be raised later without breaking old hashes.
 * N = 2^15, r = 8 uses 32 MiB and ≈ 50–100 ms per hash here: OWASP's minimum for scrypt is 2^17
 * with r = 8 and p = 1 *or* an equivalent trade; we keep p = 1 and the cost near 100 ms on 2 cores.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
// scrypt needs 128·N·r bytes; Node refuses above maxmem (32 MiB by default), so leave headroom.
const MAX_MEM = 128 * N * R * 2;

function derive(password: string, salt: Buffer, params: { n: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { N: params.n, r: params.r, p: params.p, maxmem: Math.max(MAX_MEM, 256 * params.n * params.r) }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, { n: N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** True when `password` matches `stored`; false for a wrong password or a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every((v) => Number.isInteger(v) && v > 0) || n > 2 ** 20) return false;
  const expected = Buffer.from(parts[5]!, 'base64url');
  const key = await derive(password, Buffer.from(parts[4]!, 'base64url'), { n, r, p });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash of nothing anyone knows: verifying against it for unknown usernames keeps timing uniform. */
export const DUMMY_PASSWORD_HASH = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEY_BYTES).toString('base64url')}`;

/** A password for people to type once and store in a password manager: 20 base64url characters (120 bits). */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}
