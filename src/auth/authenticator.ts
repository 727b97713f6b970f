/**
 * Turns a request's credentials into a Principal, for Fastify routes and for the raw /stream/
 * origin alike (it reads only headers). Accepted, in this order:
 * - `Authorization: Bearer <STREAMFORGE_API_KEY>`: the bootstrap admin key of automation;
 * - `Authorization: Bearer sfk_…`: an API key (api_keys, stored hashed);
 * - `Authorization: Bearer <JWT>`: an access token from POST /api/auth/token;
 * - the `sf_session` cookie of the web app (sessions, stored hashed).
 * Bearer credentials that do not check out are an error (the client must hear it); a stale session
 * cookie is not: the visitor is simply anonymous.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { UserRow } from '../db/schema.js';
import { verifyAccessToken } from './access-token.js';
import type { AccountRepository } from './account-repository.js';
import type { Principal } from './principal.js';
import { API_KEY_PREFIX, secretsEqual, sha256Hex } from './secret-tokens.js';

export const SESSION_COOKIE = 'sf_session';
/** An API key's last_used_at is written at most this often. */
const TOUCH_INTERVAL_MS = 60_000;

export type Authentication = { principal: Principal | null } | { invalid: string };

export interface AuthenticatorOptions {
  accounts: AccountRepository;
  accessTokenKey: Uint8Array;
  /** STREAMFORGE_API_KEY: accepted as an admin API key acting as the first admin. */
  bootstrapApiKey?: string | undefined;
}

export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {}

  async authenticate(headers: IncomingHttpHeaders): Promise<Authentication> {
    const authorization = headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
      if (!match) return { invalid: 'Authorization must be "Bearer <API key or access token>"' };
      return this.bearer(match[1]!);
    }
    const cookie = headers.cookie;
    if (cookie === undefined || !cookie.includes(SESSION_COOKIE)) return { principal: null };
    const sessionId = cookieValue(cookie, SESSION_COOKIE);
    if (!sessionId) return { principal: null };
    const user = await this.options.accounts.sessionUser(sha256Hex(sessionId));
    return { principal: user ? principalOf(user, 'session') : null };
  }

  private async bearer(credential: string): Promise<Authentication> {
    const { accounts, bootstrapApiKey } = this.options;
    if (bootstrapApiKey !== undefined && secretsEqual(credential, bootstrapApiKey)) {
      const admin = await accounts.firstAdmin();
      if (admin) return { principal: principalOf(admin, 'bootstrap-key') };
    }
    if (credential.startsWith(API_KEY_PREFIX)) {
      const found = await accounts.apiKeyUser(sha256Hex(credential));
      if (!found) return { invalid: 'unknown or revoked API key' };
      if (found.lastUsedAt === null || Date.now() - found.lastUsedAt > TOUCH_INTERVAL_MS) await accounts.touchApiKey(found.keyId);
      return { principal: { ...principalOf(found.user, 'api-key'), apiKeyId: found.keyId } };
    }
    const userId = await verifyAccessToken({ key: this.options.accessTokenKey, token: credential });
    const user = userId === null ? null : await accounts.userById(userId);
    if (!user) return { invalid: 'invalid or expired access token' };
    return { principal: principalOf(user, 'access-token') };
  }
}

function principalOf(user: UserRow, via: Principal['via']): Principal {
  return { userId: user.id, username: user.username, role: user.role, via };
}

/** One cookie's value from a Cookie header (ours are base64url: no quoting or decoding to do). */
export function cookieValue(header: string, name: string): string | undefined {
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}
