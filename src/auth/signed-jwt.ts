/**
 * The JWT shape both of our token kinds share (access-token.ts, playback-token.ts): HS256, issuer
 * `streamforge`, an audience per kind so one kind never passes for the other, whole-second expiry.
 */
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';

const ISSUER = 'streamforge';

export async function signJwt(options: {
  key: Uint8Array;
  audience: string;
  subject: string;
  expiresInSec: number;
  claims?: Record<string, string>;
}): Promise<{ token: string; expiresAt: Date }> {
  const expiresAt = new Date(Math.floor(Date.now() / 1000 + options.expiresInSec) * 1000);
  const token = await new SignJWT(options.claims ?? {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuer(ISSUER)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(expiresAt)
    .sign(options.key);
  return { token, expiresAt };
}

/** The payload of a valid token of this audience, or null (bad signature, expired, another kind, malformed). */
export async function verifyJwt(options: { key: Uint8Array; audience: string; token: string }): Promise<JWTPayload | null> {
  try {
    const { payload } = await jwtVerify(options.token, options.key, { algorithms: ['HS256'], audience: options.audience, issuer: ISSUER });
    return payload;
  } catch (err) {
    if (err instanceof errors.JOSEError) return null;
    throw err;
  }
}
