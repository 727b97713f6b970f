/**
 * The HMAC keys of our JWTs. One root secret per install — STREAMFORGE_AUTH_SECRET, or else 32
 * random bytes made once and kept in the database, so every API process signs and verifies alike —
 * and one key derived from it per kind of token: an API access token can never pass as a playback
 * token or the other way round, even before its `aud` claim is looked at.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { AccountRepository } from './account-repository.js';

export interface TokenKeys {
  access: Uint8Array;
  playback: Uint8Array;
}

export async function loadTokenKeys(options: { configuredSecret: string | undefined; accounts: AccountRepository }): Promise<TokenKeys> {
  const root = options.configuredSecret ?? (await options.accounts.secret('jwt-root', () => randomBytes(32).toString('base64url')));
  const derive = (label: string) => new Uint8Array(createHmac('sha256', root).update(`streamforge:${label}`).digest());
  return { access: derive('access-token'), playback: derive('playback-token') };
}
