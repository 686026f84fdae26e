// IPv4 headers (RFC 791). Options are carried opaquely.

import { get16, set16 } from './bytes.js';
import { IpAddress } from './address.js';
import { internetChecksum } from './checksum.js';

export const IPV4_MIN_HEADER_LEN = 20;
/** Flag bits in the flags/fragment-offset word. */
export const IPV4_DF = 0x4000;
export const IPV4_MF = 0x2000;

/** A typed view of an IPv4 header at `off` in `buf`. */
export class Ipv4View {
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
  ) {}
  get version(): number {
    return this.buf[this.off] >> 4;
  }
  get headerLength(): number {
    return (this.buf[this.off] & 0x0f) * 4;
  }
  get tos(): number {
    return this.buf[this.off + 1];
  }
  get totalLength(): number {
    return get16(this.buf, this.off + 2);
  }
  get ident(): number {
    return get16(this.buf, this.off + 4);
  }
  get dontFragment(): boolean {
    return (this.buf[this.off + 6] & 0x40) !== 0;
  }
  get moreFragments(): boolean {
    return (this.buf[this.off + 6] & 0x20) !== 0;
  }
  /** Fragment offset in bytes. */
  get fragmentOffset(): number {
    return (get16(this.buf, this.off + 6) & 0x1fff) * 8;
  }
  get ttl(): number {
    return this.buf[this.off + 8];
  }
  get protocol(): number {
    return this.buf[this.off + 9];
  }
  get checksum(): number {
    return get16(this.buf, this.off + 10);
  }
  /** Source address bytes (a view into the packet). */
  get srcBytes(): Uint8Array {
    return this.buf.subarray(this.off + 12, this.off + 16);
  }
  get dstBytes(): Uint8Array {
    return this.buf.subarray(this.off + 16, this.off + 20);
  }
  get src(): IpAddress {
    return IpAddress.v4At(this.buf, this.off + 12);
  }
  get dst(): IpAddress {
    return IpAddress.v4At(this.buf, this.off + 16);
  }
  /** The header's options bytes. */
  get options(): Uint8Array {
    return this.buf.subarray(this.off + 20, this.off + this.headerLength);
  }
  /** The payload as delimited by total length. */
  get payload(): Uint8Array {
    return this.buf.subarray(this.off + this.headerLength, this.off + this.totalLength);
  }
  /** Checks version, lengths and header checksum. */
  isValid(): boolean {
    const avail = this.buf.length - this.off;
    if (avail < IPV4_MIN_HEADER_LEN || this.version !== 4) return false;
    const hl = this.headerLength;
    if (hl < IPV4_MIN_HEADER_LEN || hl > avail || this.totalLength < hl || this.totalLength > avail) return false;
    return internetChecksum(this.buf, this.off, this.off + hl) === 0;
  }
}

export interface Ipv4Repr {
  src: IpAddress;
  dst: IpAddress;
  protocol: number;
  ttl: number;
  tos: number;
  ident: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes; a multiple of 8. */
  fragmentOffset: number;
  /** Length of the payload that follows the header. */
  payloadLength: number;
  /** Options, padded by the emitter to a multiple of 4 bytes. */
  options?: Uint8Array;
}

/** Parses a header (checksum verified); null if invalid. */
export function parseIpv4(b: Uint8Array): Ipv4Repr | null {
  const v = new Ipv4View(b);
  if (!v.isValid()) return null;
  const repr: Ipv4Repr = {
    src: v.src,
    dst: v.dst,
    protocol: v.protocol,
    ttl: v.ttl,
    tos: v.tos,
    ident: v.ident,
    dontFragment: v.dontFragment,
    moreFragments: v.moreFragments,
    fragmentOffset: v.fragmentOffset,
    payloadLength: v.totalLength - v.headerLength,
  };
  if (v.headerLength > IPV4_MIN_HEADER_LEN) repr.options = v.options.slice();
  return repr;
}

/** Header length the emitter will produce for a repr. */
export function ipv4HeaderLength(r: Ipv4Repr): number {
  return IPV4_MIN_HEADER_LEN + (r.options ? (r.options.length + 3) & ~3 : 0);
}

/**
 * Writes an option-less 20-byte header with its checksum at `off`: the
 * allocation-free path the stack uses for every packet it sends.
 */
export function writeIpv4Header(
  b: Uint8Array,
  off: number,
  src: IpAddress,
  dst: IpAddress,
  protocol: number,
  ttl: number,
  tos: number,
  ident: number,
  flagsAndOffset: number,
  payloadLength: number,
): void {
  b[off] = 0x45;
  b[off + 1] = tos;
  set16(b, off + 2, IPV4_MIN_HEADER_LEN + payloadLength);
  set16(b, off + 4, ident);
  set16(b, off + 6, flagsAndOffset);
  b[off + 8] = ttl;
  b[off + 9] = protocol;
  b[off + 10] = 0;
  b[off + 11] = 0;
  const s = src.bytes;
  const d = dst.bytes;
  b[off + 12] = s[0];
  b[off + 13] = s[1];
  b[off + 14] = s[2];
  b[off + 15] = s[3];
  b[off + 16] = d[0];
  b[off + 17] = d[1];
  b[off + 18] = d[2];
  b[off + 19] = d[3];
  set16(b, off + 10, internetChecksum(b, off, off + IPV4_MIN_HEADER_LEN));
}

/** Writes the header (with checksum) at `off`; returns its length. */
export function emitIpv4(r: Ipv4Repr, b: Uint8Array, off = 0): number {
  const hl = ipv4HeaderLength(r);
  b[off] = 0x40 | (hl >> 2);
  b[off + 1] = r.tos;
  set16(b, off + 2, hl + r.payloadLength);
  set16(b, off + 4, r.ident);
  set16(b, off + 6, (r.dontFragment ? IPV4_DF : 0) | (r.moreFragments ? IPV4_MF : 0) | (r.fragmentOffset >> 3));
  b[off + 8] = r.ttl;
  b[off + 9] = r.protocol;
  set16(b, off + 10, 0);
  b.set(r.src.bytes, off + 12);
  b.set(r.dst.bytes, off + 16);
  if (r.options) {
    b.fill(0, off + 20, off + hl);
    b.set(r.options, off + 20);
  }
  set16(b, off + 10, internetChecksum(b, off, off + hl));
  return hl;
}
