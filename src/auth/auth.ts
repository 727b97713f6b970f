/**
 * Accounts and access control of one process, built once by createAppContext (src/app.ts): the
 * account tables, the token keys, the request authenticator and the /stream/ access check.
 * docs/security.md describes the model.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { ClientIp } from './client-ip.js';
import type { DatabaseHandle } from '../db/database.js';
import type { VideoRepository } from '../videos/video-repository.js';
import { AccountRepository } from './account-repository.js';
import { Authenticator } from './authenticator.js';
import { ensureAdmin } from './bootstrap-admin.js';
import { StreamAccess } from './stream-access.js';
import { loadTokenKeys, type TokenKeys } from './token-keys.js';

export interface Auth {
  accounts: AccountRepository;
  keys: TokenKeys;
  authenticator: Authenticator;
  streamAccess: StreamAccess;
}

export async function openAuth(options: { config: Config; database: DatabaseHandle; videos: VideoRepository; clientIp: ClientIp; logger: Logger }): Promise<Auth> {
  const { config } = options;
  const accounts = new AccountRepository(options.database.db);
  await ensureAdmin({ accounts, username: config.adminUsername, password: config.adminPassword, logger: options.logger });
  const keys = await loadTokenKeys({ configuredSecret: config.authSecret, accounts });
  const authenticator = new Authenticator({ accounts, accessTokenKey: keys.access, bootstrapApiKey: config.apiKey });
  const streamAccess = new StreamAccess({ lookup: (id) => options.videos.accessInfo(id), authenticator, playbackKey: keys.playback, clientIp: options.clientIp.of });
  return { accounts, keys, authenticator, streamAccess };
}
