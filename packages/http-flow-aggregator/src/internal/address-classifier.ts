/**
 * Splits destinations into internal and external by address ranges, with Node's own `net.BlockList` doing the
 * prefix matching (well kept, IPv4 and IPv6, no dependency).
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

import { canonicalAddress } from '@egressguard/schema';

/** A named address range. */
export interface AddressRange {
  /** CIDR notation: `10.0.0.0/8`, `fe80::/10`. */
  readonly cidr: string;
  /** Why the range is internal: `private`, `loopback`, `link_local`, `cgnat`, `multicast`, or `configured`. */
  readonly category: string;
}

/**
 * The ranges counted as internal by default: RFC 1918 and RFC 4193 private space, loopback, link-local (RFC 3927,
 * RFC 4291), shared address space for carrier-grade NAT (RFC 6598) and multicast (RFC 5771, RFC 4291).
 */
export const DEFAULT_INTERNAL_RANGES: readonly AddressRange[] = [
  { cidr: '10.0.0.0/8', category: 'private' },
  { cidr: '172.16.0.0/12', category: 'private' },
  { cidr: '192.168.0.0/16', category: 'private' },
  { cidr: 'fc00::/7', category: 'private' },
  { cidr: '127.0.0.0/8', category: 'loopback' },
  { cidr: '::1/128', category: 'loopback' },
  { cidr: '169.254.0.0/16', category: 'link_local' },
  { cidr: 'fe80::/10', category: 'link_local' },
  { cidr: '100.64.0.0/10', category: 'cgnat' },
  { cidr: '224.0.0.0/4', category: 'multicast' },
  { cidr: 'ff00::/8', category: 'multicast' },
];

/** A parsed range: network address, prefix length and family. */
export interface ParsedRange {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/**
 * Parses `address/prefix` or a bare address (a single host). Throws an error naming what is wrong, so the
 * configuration validator can report it under the option's key.
 */
export function parseRange(text: string): ParsedRange {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (family === undefined) throw new Error(`"${text}" is not an IPv4 or IPv6 address or CIDR range`);
  const max = family === 'ipv4' ? 32 : 128;
  if (slash === -1) return { address, prefix: max, family };
  const prefixText = text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= max)) {
    throw new Error(`"${text}" has prefix length "${prefixText}"; ${family} prefixes are 0 to ${max}`);
  }
  return { address, prefix, family };
}

/** Options of an {@link AddressClassifier}. */
export interface AddressClassifierOptions {
  /** Further internal ranges (CIDR or single addresses). Default none. */
  readonly ranges?: readonly string[];
  /** Include {@link DEFAULT_INTERNAL_RANGES}. Default true. */
  readonly includeDefaults?: boolean;
  /** Addresses whose class is remembered (a lookup in `BlockList` costs microseconds). Default 16384. */
  readonly cacheSize?: number;
}

/** Where a destination address lies. */
export type AddressClass = 'internal' | 'external';

/**
 * Classifies destination addresses as internal or external. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are
 * matched as the IPv4 address they carry, zone ids (`fe80::1%eth0`) and brackets (`[::1]`) are ignored.
 */
export class AddressClassifier {
  /** The ranges in use, defaults first. */
  readonly ranges: readonly AddressRange[];
  private readonly list = new BlockList();
  private readonly cache = new Map<string, AddressClass | undefined>();
  /** The class of canonical dotted quads by their 32-bit value: no text to hash, no string kept. */
  private readonly ipv4Cache = new Map<number, AddressClass>();
  private readonly cacheSize: number;

  constructor(options: AddressClassifierOptions = {}) {
    this.cacheSize = options.cacheSize ?? 16_384;
    const configured = (options.ranges ?? []).map((cidr) => ({ cidr, category: 'configured' }));
    this.ranges = [...(options.includeDefaults === false ? [] : DEFAULT_INTERNAL_RANGES), ...configured];
    for (const range of this.ranges) {
      const parsed = parseRange(range.cidr);
      this.list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
  }

  /** `internal`, `external`, or `undefined` when the value is not an IP address (a name, an empty string). */
  classify(address: string): AddressClass | undefined {
    const cached = this.cache.get(address);
    if (cached !== undefined || this.cache.has(address)) return cached;
    const result = this.lookup(address);
    // First in, first out: destinations repeat within minutes, so the oldest entry is the one least likely needed.
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(address, result);
    return result;
  }

  /**
   * The class of a canonical dotted quad `address` whose value `ipv4Number` gave as `ip`: the same as
   * {@link classify} of the text, remembered by number.
   */
  classifyIPv4(ip: number, address: string): AddressClass {
    // `| 0` keeps the key a small integer (the quad's bits as a signed 32-bit number), which a Map hashes without boxing.
    const key = ip | 0;
    const cached = this.ipv4Cache.get(key);
    if (cached !== undefined) return cached;
    const result = this.list.check(address, 'ipv4') ? 'internal' : 'external';
    if (this.ipv4Cache.size >= this.cacheSize) this.ipv4Cache.delete(this.ipv4Cache.keys().next().value!);
    this.ipv4Cache.set(key, result);
    return result;
  }

  private lookup(address: string): AddressClass | undefined {
    const family = addressFamily(address);
    if (family !== undefined) return this.list.check(address, family) ? 'internal' : 'external';
    const cleaned = canonicalAddress(address);
    if (cleaned === undefined) return undefined;
    const cleanedFamily = addressFamily(cleaned);
    if (cleanedFamily === undefined) return undefined;
    return this.list.check(cleaned, cleanedFamily) ? 'internal' : 'external';
  }
}

function addressFamily(address: string): 'ipv4' | 'ipv6' | undefined {
  if (isIPv4(address)) return 'ipv4';
  // BlockList matches IPv4 rules against IPv4-mapped IPv6 addresses itself (checked in the tests).
  if (isIPv6(address) && !address.includes('%')) return 'ipv6';
  return undefined;
}
