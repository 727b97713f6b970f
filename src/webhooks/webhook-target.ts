/**
 * One POST to a webhook URL, guarded against being turned on the inside network (SSRF): only http
 * and https, no redirects followed, and — unless STREAMFORGE_WEBHOOK_ALLOW_PRIVATE — no loopback,
 * private, link-local (cloud metadata), CGNAT or multicast address. The address is checked as it is
 * resolved for the connection itself (the `lookup` hook), so a name that resolves to a public
 * address for a check and a private one for the connection (DNS rebinding) gains nothing.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, isIPv4, type LookupFunction } from 'node:net';

/** A target we refuse to reach: permanent, no retry changes it. */
export class WebhookTargetRefusedError extends Error {
  override name = 'WebhookTargetRefusedError';
}

const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** True for loopback, private, link-local, CGNAT, multicast and reserved addresses (IPv4-mapped IPv6 included). */
export function isNonPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return NON_PUBLIC.check(mapped, 'ipv4');
  return isIPv4(address) ? NON_PUBLIC.check(address, 'ipv4') : NON_PUBLIC.check(address, 'ipv6');
}

/** The URL if it may be a webhook target at all: http(s), no credentials. The address is checked when connecting. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookTargetRefusedError('not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookTargetRefusedError('only http:// and https:// URLs');
  if (url.username || url.password) throw new WebhookTargetRefusedError('no credentials in the URL: verify the signature instead');
  return url;
}

/** A literal IP host that is refused right away (names are checked when they resolve). */
export function refusedLiteralHost(url: URL, allowPrivate: boolean): string | null {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (allowPrivate || isIP(host) === 0) return null;
  return isNonPublicAddress(host) ? host : null;
}

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const refused = allowPrivate ? undefined : addresses.find((a) => isNonPublicAddress(a.address));
      if (refused) {
        return callback(privateRefusal(`${hostname} resolves to ${refused.address}`) as NodeJS.ErrnoException, '', 0);
      }
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), '', 0);
      // net.connect asks for every address when it races IPv4 and IPv6 (autoSelectFamily).
      if (options.all) (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function privateRefusal(what: string): WebhookTargetRefusedError {
  return new WebhookTargetRefusedError(`${what}, a non-public address (allowed only with STREAMFORGE_WEBHOOK_ALLOW_PRIVATE=true)`);
}

export interface WebhookPostOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  allowPrivate: boolean;
  /** The whole exchange: connect, send, status and headers. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** POSTs and resolves with the status code (any, redirects included: they are not followed); rejects on no answer. */
export function postWebhook(options: WebhookPostOptions): Promise<{ statusCode: number }> {
  const url = parseWebhookUrl(options.url);
  const literal = refusedLiteralHost(url, options.allowPrivate);
  if (literal) return Promise.reject(privateRefusal(literal));
  const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]) : AbortSignal.timeout(options.timeoutMs);
  const body = Buffer.from(options.body);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      url,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-length': String(body.length) },
        lookup: guardedLookup(options.allowPrivate),
        signal,
        // A fresh connection per attempt: a kept-alive one to an endpoint since changed proves nothing.
        agent: false,
      },
      (response) => {
        // The answer's body means nothing to us; drain it so the socket closes cleanly.
        response.resume();
        response.on('end', () => resolve({ statusCode: response.statusCode ?? 0 }));
        response.on('error', reject);
      },
    );
    request.on('error', (err) => reject(signal.aborted && !(err instanceof WebhookTargetRefusedError) ? timeoutOrAbort(signal, options.timeoutMs) : err));
    request.end(body);
  });
}

function timeoutOrAbort(signal: AbortSignal, timeoutMs: number): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return new Error(`no answer within ${timeoutMs} ms`);
  return reason instanceof Error ? reason : new Error('aborted');
}
