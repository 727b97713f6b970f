/**
 * Who the client is, by address: the TCP peer, or — when the peer is a proxy we were told to trust
 * (STREAMFORGE_TRUST_PROXY) — the address it names in X-Forwarded-For. One compiled rule serves
 * Fastify (its `trustProxy`, so `request.ip`) and the raw /stream/ origin alike, so rate limits and
 * IP-bound playback tokens see the same client on both paths. Without trust, X-Forwarded-For is
 * ignored: anyone can send it.
 */
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import { isIPv6 } from 'node:net';

export type TrustProxy = (address: string, hop: number) => boolean;

export interface ClientIp {
  /** For Fastify's `trustProxy` option (false: trust no one). */
  readonly trust: TrustProxy | false;
  /** The client's address, `::ffff:` stripped from IPv4 on a dual-stack socket. */
  of(req: IncomingMessage): string;
}

/** `setting`: config `trustProxy` (true, false, or addresses, CIDRs and proxy-addr's names). */
export function createClientIp(setting: boolean | readonly string[]): ClientIp {
  const trust: TrustProxy | false =
    setting === true ? () => true : setting === false || setting.length === 0 ? false : proxyAddr.compile([...setting]);
  return {
    trust,
    of: trust === false
      ? (req) => stripMappedPrefix(req.socket.remoteAddress ?? '')
      : (req) => stripMappedPrefix(proxyAddr(req, trust)),
  };
}

function stripMappedPrefix(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

/**
 * The rate-limit key of an address: IPv4 whole, IPv6 by its /64 — one subscriber is commonly handed
 * a whole /64, so single addresses would give each client 2^64 buckets.
 */
export function addressKey(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const [head = '', tail] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
