/**
 * `StreamForge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe signs its
 * webhooks: the timestamp is inside the MAC, so a receiver that also checks its age refuses replays
 * of an old request. Several v1= entries may appear (a receiver accepts any that matches), which
 * leaves room for secret rotation. docs/webhooks.md shows a receiver's check.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'StreamForge-Signature';
/** How old a signature a receiver should accept by default (Stripe's choice too). */
export const DEFAULT_SIGNATURE_TOLERANCE_SEC = 300;

/** A fresh endpoint secret: 32 random bytes, prefixed so it is recognisable in a config file or a leak scan. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function hmacHex(secret: string, timestampSec: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex');
}

export function signatureHeader(options: { secret: string; body: string; timestampSec: number }): string {
  return `t=${options.timestampSec},v1=${hmacHex(options.secret, options.timestampSec, options.body)}`;
}

export type SignatureCheck = { valid: true; timestampSec: number } | { valid: false; reason: 'malformed' | 'stale' | 'mismatch' };

/**
 * The receiver's check: well formed, signed with `secret` over exactly `body` (the raw bytes as
 * received, before any JSON parsing), and no older (or newer) than `toleranceSec`.
 */
export function verifySignature(options: { secret: string; body: string; header: string | undefined; toleranceSec?: number; nowSec?: number }): SignatureCheck {
  const toleranceSec = options.toleranceSec ?? DEFAULT_SIGNATURE_TOLERANCE_SEC;
  const nowSec = options.nowSec ?? Math.floor(Date.now() / 1000);
  let timestampSec: number | null = null;
  const signatures: string[] = [];
  for (const part of (options.header ?? '').split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value !== undefined && /^\d{1,12}$/.test(value)) timestampSec = Number(value);
    else if (key === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestampSec === null || signatures.length === 0) return { valid: false, reason: 'malformed' };
  if (Math.abs(nowSec - timestampSec) > toleranceSec) return { valid: false, reason: 'stale' };
  const expected = Buffer.from(hmacHex(options.secret, timestampSec, options.body), 'hex');
  const matches = signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'hex'), expected));
  return matches ? { valid: true, timestampSec } : { valid: false, reason: 'mismatch' };
}
