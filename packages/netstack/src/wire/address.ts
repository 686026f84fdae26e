// IP and link-layer addresses. An IpAddress holds its bytes plus a canonical
// text form that doubles as a map key, so demultiplexing can use plain Maps.

import { SysError, Errno } from '../abi.js';

/** An IPv4 or IPv6 address. Immutable. */
export class IpAddress {
  private constructor(
    /** 4 or 6. */
    readonly version: 4 | 6,
    /** Network-order bytes (4 or 16). Do not mutate. */
    readonly bytes: Uint8Array,
    /** Canonical text form (RFC 5952 for IPv6); unique per address. */
    readonly key: string,
  ) {}

  static readonly ANY4 = IpAddress.fromBytes(new Uint8Array(4));
  static readonly ANY6 = IpAddress.fromBytes(new Uint8Array(16));
  static readonly BROADCAST4 = IpAddress.fromBytes(new Uint8Array([255, 255, 255, 255]));

  /** From 4 or 16 network-order bytes (copied). */
  static fromBytes(src: Uint8Array, offset = 0, length: 4 | 16 = src.length - offset === 16 ? 16 : 4): IpAddress {
    const bytes = src.slice(offset, offset + length);
    return new IpAddress(length === 4 ? 4 : 6, bytes, length === 4 ? formatV4(bytes) : formatV6(bytes));
  }

  /**
   * The IPv4 address at buf[off, off+4), from a small cache: every received
   * packet names two addresses, and building each anew dominated the
   * per-packet garbage.
   */
  static v4At(buf: Uint8Array, off: number): IpAddress {
    const n = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
    let a = v4Cache.get(n);
    if (!a) {
      if (v4Cache.size >= V4_CACHE_MAX) v4Cache.clear();
      a = IpAddress.fromBytes(buf, off, 4);
      v4Cache.set(n, a);
    }
    return a;
  }

  /** Parses dotted-quad IPv4 or RFC 4291 IPv6 text; throws EINVAL on bad input. */
  static parse(text: string): IpAddress {
    const bytes = text.includes(':') ? parseV6(text) : parseV4(text);
    if (!bytes) throw new SysError(Errno.EINVAL, `bad IP address '${text}'`);
    return IpAddress.fromBytes(bytes);
  }

  /** The unspecified address of a version. */
  static any(version: 4 | 6): IpAddress {
    return version === 4 ? IpAddress.ANY4 : IpAddress.ANY6;
  }

  equals(other: IpAddress): boolean {
    return this.key === other.key;
  }

  toString(): string {
    return this.key;
  }

  get isUnspecified(): boolean {
    return this.bytes.every((b) => b === 0);
  }

  get isMulticast(): boolean {
    return this.version === 4 ? (this.bytes[0] & 0xf0) === 0xe0 : this.bytes[0] === 0xff;
  }

  get isLimitedBroadcast(): boolean {
    return this.version === 4 && this.key === '255.255.255.255';
  }

  get isLoopback(): boolean {
    return this.version === 4 ? this.bytes[0] === 127 : this.key === '::1';
  }

  /** IPv4-mapped IPv6 (::ffff:a.b.c.d). */
  get isV4Mapped(): boolean {
    if (this.version !== 6) return false;
    for (let i = 0; i < 10; i++) if (this.bytes[i] !== 0) return false;
    return this.bytes[10] === 0xff && this.bytes[11] === 0xff;
  }

  /** The IPv4 address inside an IPv4-mapped IPv6 address. */
  unmapV4(): IpAddress {
    return IpAddress.fromBytes(this.bytes, 12, 4);
  }

  /** True if the first `prefixLen` bits equal those of `network`. */
  inPrefix(network: IpAddress, prefixLen: number): boolean {
    if (network.version !== this.version) return false;
    let bits = prefixLen;
    for (let i = 0; bits > 0; i++, bits -= 8) {
      const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
      if ((this.bytes[i] & mask) !== (network.bytes[i] & mask)) return false;
    }
    return true;
  }

  /** The directed broadcast address of this IPv4 address's subnet. */
  subnetBroadcast(prefixLen: number): IpAddress {
    const b = this.bytes.slice();
    for (let bit = prefixLen; bit < 32; bit++) b[bit >> 3] |= 0x80 >> (bit & 7);
    return IpAddress.fromBytes(b);
  }

  /** The IPv6 solicited-node multicast address ff02::1:ffXX:XXXX (RFC 4291 2.7.1). */
  solicitedNode(): IpAddress {
    const b = new Uint8Array(16);
    b[0] = 0xff;
    b[1] = 0x02;
    b[11] = 0x01;
    b[12] = 0xff;
    b.set(this.bytes.subarray(13, 16), 13);
    return IpAddress.fromBytes(b);
  }
}

const V4_CACHE_MAX = 4096;
const v4Cache = new Map<number, IpAddress>();

function formatV4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

function parseV4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return null;
    const n = Number(parts[i]);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function formatV6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i] << 8) | b[i + 1]);
  // RFC 5952: compress the longest run (>= 2) of zero words, the first on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  // IPv4-mapped addresses keep the dotted tail, as inet_ntop does.
  if (bestStart === 0 && bestLen === 5 && words[5] === 0xffff) return `::ffff:${formatV4(b.subarray(12))}`;
  if (bestLen < 2) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

function parseV6(text: string): Uint8Array | null {
  let s = text;
  const out = new Uint8Array(16);
  // A dotted IPv4 tail becomes two hex groups.
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (!v4) return null;
    s = `${s.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const groups = part.split(':');
    const words: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      words.push(parseInt(g, 16));
    }
    return words;
  };
  let words: number[];
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return null;
    const head = parseGroups(s.slice(0, dbl));
    const rest = parseGroups(s.slice(dbl + 2));
    if (!head || !rest) return null;
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return null;
    words = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    const all = parseGroups(s);
    if (!all) return null;
    words = all;
  }
  if (words.length !== 8) return null;
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i] >> 8;
    out[2 * i + 1] = words[i] & 0xff;
  }
  return out;
}

/** A 6-byte Ethernet MAC address. */
export type MacAddress = Uint8Array;

export const BROADCAST_MAC: MacAddress = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** aa:bb:cc:dd:ee:ff text form. */
export function formatMac(mac: MacAddress): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Parses aa:bb:cc:dd:ee:ff; throws EINVAL on bad input. */
export function parseMac(text: string): MacAddress {
  const parts = text.split(':');
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) throw new SysError(Errno.EINVAL, `bad MAC '${text}'`);
  return new Uint8Array(parts.map((p) => parseInt(p, 16)));
}

export function macEquals(a: MacAddress, b: MacAddress): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] && a[4] === b[4] && a[5] === b[5];
}

/** The Ethernet multicast MAC for an IP multicast address (RFC 1112 / RFC 2464). */
export function multicastMac(ip: IpAddress): MacAddress {
  if (ip.version === 4) return new Uint8Array([0x01, 0x00, 0x5e, ip.bytes[1] & 0x7f, ip.bytes[2], ip.bytes[3]]);
  return new Uint8Array([0x33, 0x33, ip.bytes[12], ip.bytes[13], ip.bytes[14], ip.bytes[15]]);
}
