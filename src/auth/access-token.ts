/**
 * Bearer JWTs for the API (`POST /api/auth/token` with a username and password): HS256, short-lived,
 * naming the user. The user is still looked up on every request, so a deleted user's tokens stop
 * working at once; a role change applies at once too.
 */
import { signJwt, verifyJwt } from './signed-jwt.js';

const AUDIENCE = 'streamforge:api';

export function signAccessToken(options: { key: Uint8Array; userId: string; expiresInSec: number }): Promise<{ token: string; expiresAt: Date }> {
  return signJwt({ key: options.key, audience: AUDIENCE, subject: options.userId, expiresInSec: options.expiresInSec });
}

/** The user id of a valid token, or null (bad signature, expired, another kind of token, malformed). */
export async function verifyAccessToken(options: { key: Uint8Array; token: string }): Promise<string | null> {
  const payload = await verifyJwt({ key: options.key, audience: AUDIENCE, token: options.token });
  return typeof payload?.sub === 'string' ? payload.sub : null;
}
