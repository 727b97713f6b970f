/**
 * First run: an install without an admin gets one, so the one start-up command leaves a usable
 * server. Its password is STREAMFORGE_ADMIN_PASSWORD, or one generated here and logged once (as
 * PeerTube does). Several API processes starting together race on the unique username; only the
 * winner creates the account and logs its password.
 */
import type { Logger } from 'pino';
import type { AccountRepository } from './account-repository.js';
import { generatePassword, hashPassword } from './password.js';

export async function ensureAdmin(options: {
  accounts: AccountRepository;
  username: string;
  password: string | undefined;
  logger: Logger;
}): Promise<void> {
  const { accounts, logger } = options;
  if (await accounts.firstAdmin()) return;
  const password = options.password ?? generatePassword();
  const created = await accounts.createUser({ username: options.username, passwordHash: await hashPassword(password), role: 'admin' });
  if (!created) {
    // Someone else won the race, or a non-admin already holds the name: say so rather than guess.
    if (!(await accounts.firstAdmin())) logger.error({ username: options.username }, 'cannot create the first admin: the username is taken by a non-admin (STREAMFORGE_ADMIN_USERNAME)');
    return;
  }
  if (options.password === undefined) {
    // Logged once, at creation; it is never stored in the clear.
    logger.warn({ username: options.username, password }, 'created the first admin account with a generated password: sign in and keep it safe (set STREAMFORGE_ADMIN_PASSWORD to choose it)');
  } else {
    logger.info({ username: options.username }, 'created the first admin account (password from STREAMFORGE_ADMIN_PASSWORD)');
  }
}
