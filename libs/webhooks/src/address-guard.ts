import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';

export class UnsafeWebhookUrlError extends Error {
  override name = 'UnsafeWebhookUrlError';
}

type Family = 'ipv4' | 'ipv6';
type Range = [network: string, prefix: number];

/** Address classes a customer's callback URL must not reach: our own host, the VPC, the cloud
 * metadata endpoint (169.254.169.254) and other addresses no public receiver has. */
const IPV4_CLASSES: Record<string, Range[]> = {
  unspecified: [['0.0.0.0', 8]],
  loopback: [['127.0.0.0', 8]],
  private: [
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['100.64.0.0', 10],
  ],
  'link-local': [['169.254.0.0', 16]],
  'multicast or reserved': [['224.0.0.0', 3]],
};
const IPV6_CLASSES: Record<string, Range[]> = {
  unspecified: [['::', 128]],
  loopback: [['::1', 128]],
  private: [
    ['fc00::', 7],
    ['fec0::', 10],
  ],
  'link-local': [['fe80::', 10]],
  'multicast or reserved': [
    ['ff00::', 8],
    ['::', 96],
  ],
  // Each of these carries an IPv4 address inside and reaches it through a gateway: NAT64's
  // 64:ff9b::7f00:1 is 127.0.0.1, 6to4's 2002:a9fe:a9fe:: the metadata endpoint, Teredo's any.
  'NAT64 (embeds IPv4)': [
    ['64:ff9b::', 96],
    ['64:ff9b:1::', 48],
  ],
  '6to4 (embeds IPv4)': [['2002::', 16]],
  'Teredo (embeds IPv4)': [['2001::', 32]],
};

function blockList(ranges: Range[], family: Family): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of ranges) list.addSubnet(network, prefix, family);
  return list;
}

// Each IPv4 class also covers its IPv4-mapped IPv6 form (::ffff:127.0.0.1 reaches loopback too).
const CLASSES: ReadonlyArray<readonly [label: string, family: Family, list: BlockList]> = [
  ...Object.entries(IPV4_CLASSES).flatMap(([label, ranges]) => [
    [label, 'ipv4', blockList(ranges, 'ipv4')] as const,
    [
      label,
      'ipv6',
      blockList(
        ranges.map(([net, p]) => [`::ffff:${net}`, p + 96]),
        'ipv6',
      ),
    ] as const,
  ]),
  ...Object.entries(IPV6_CLASSES).map(([label, ranges]) => [label, 'ipv6', blockList(ranges, 'ipv6')] as const),
];

/** The class an address belongs to when it is not publicly routable, else null. */
export function nonPublicAddressClass(address: string): string | null {
  const family: Family | null = isIP(address) === 4 ? 'ipv4' : isIP(address) === 6 ? 'ipv6' : null;
  if (!family) throw new Error(`not an IP address: ${address}`);
  for (const [label, f, list] of CLASSES) if (f === family && list.check(address, family)) return label;
  return null;
}

function hostAllowed(hostname: string, allowHosts: readonly string[]): boolean {
  return allowHosts.some((pattern) => {
    const p = pattern.toLowerCase();
    return p.startsWith('*.') ? hostname.endsWith(p.slice(1)) : hostname === p;
  });
}

export interface AddressPolicy {
  /** Lets callbacks reach loopback and private networks: development and tests only. */
  allowPrivate: boolean;
  /** If set, only these hostnames: exact, or `*.example.org` for any subdomain of example.org. */
  allowHosts?: readonly string[];
  /** Resolves a hostname to every address it has; defaults to the system resolver. */
  resolve?: (hostname: string) => Promise<string[]>;
}

async function resolveAll(hostname: string): Promise<string[]> {
  return (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);
}

/** Throws `UnsafeWebhookUrlError` unless the URL may receive webhooks. Every address the name
 * resolves to is checked, because the HTTP client may connect to any of them. Resolver failures
 * are rethrown as they are: they are usually transient, not a verdict on the URL. */
export async function assertDeliverableUrl(url: string | URL, policy: AddressPolicy): Promise<URL> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnsafeWebhookUrlError('webhook URL is not a valid absolute URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UnsafeWebhookUrlError(`webhook URL scheme ${parsed.protocol} is not allowed (only http and https)`);
  }
  // URL keeps IPv6 literals bracketed and a trailing root dot; neither is part of the name.
  const hostname = parsed.hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  if (policy.allowHosts && !hostAllowed(hostname, policy.allowHosts)) {
    throw new UnsafeWebhookUrlError(`webhook host ${hostname} is not in the allowed hosts`);
  }
  if (policy.allowPrivate) return parsed;

  const addresses = isIP(hostname) ? [hostname] : await (policy.resolve ?? resolveAll)(hostname);
  if (addresses.length === 0) throw new UnsafeWebhookUrlError(`webhook host ${hostname} has no addresses`);
  for (const address of addresses) {
    const cls = nonPublicAddressClass(address);
    if (cls) {
      const via = address === hostname ? '' : ` (resolves to ${address})`;
      throw new UnsafeWebhookUrlError(`webhook host ${hostname}${via} is a ${cls} address`);
    }
  }
  return parsed;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for the sockets that carry webhooks: it resolves the name as the connection is made
 * and refuses if any address is not public, so the address connected to is the address checked.
 * A check before the request alone is not enough: a name can answer a public address to the check
 * and 127.0.0.1 to the connection a moment later (DNS rebinding).
 */
export function guardedLookup(policy: AddressPolicy) {
  const resolve = policy.resolve ?? resolveAll;
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (found) => {
        const family = typeof options.family === 'number' ? options.family : 0;
        const addresses = found.filter((a) => !family || isIP(a) === family);
        if (!addresses.length) return callback(Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }), '');
        for (const address of addresses) {
          const cls = nonPublicAddressClass(address);
          if (cls)
            return callback(
              new UnsafeWebhookUrlError(`webhook host ${hostname} resolved to ${address} as it was connected to, a ${cls} address`),
              '',
            );
        }
        if ('all' in options && options.all)
          callback(
            null,
            addresses.map((address) => ({ address, family: isIP(address) })),
          );
        else callback(null, addresses[0], isIP(addresses[0]));
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}
