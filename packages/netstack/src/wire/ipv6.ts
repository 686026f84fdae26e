// IPv6 fixed headers (RFC 8200). Extension headers other than the fragment
// header are not generated; on input the stack walks hop-by-hop, routing,
// destination-options and fragment headers.

import { get16, set16, get32, set32 } from './bytes.js';
import { IpAddress } from './address.js';

export const IPV6_HEADER_LEN = 40;

/** Extension-header next-header values. */
export const Ipv6Ext = { HOP_BY_HOP: 0, ROUTING: 43, FRAGMENT: 44, DEST_OPTS: 60, NO_NEXT: 59 } as const;

/** A typed view of an IPv6 fixed header at `off` in `buf`. */
export class Ipv6View {
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
  ) {}
  get version(): number {
    return this.buf[this.off] >> 4;
  }
  get trafficClass(): number {
    return ((this.buf[this.off] & 0x0f) << 4) | (this.buf[this.off + 1] >> 4);
  }
  get flowLabel(): number {
    return get32(this.buf, this.off) & 0xfffff;
  }
  get payloadLength(): number {
    return get16(this.buf, this.off + 4);
  }
  get nextHeader(): number {
    return this.buf[this.off + 6];
  }
  get hopLimit(): number {
    return this.buf[this.off + 7];
  }
  get srcBytes(): Uint8Array {
    return this.buf.subarray(this.off + 8, this.off + 24);
  }
  get dstBytes(): Uint8Array {
    return this.buf.subarray(this.off + 24, this.off + 40);
  }
  get src(): IpAddress {
    return IpAddress.fromBytes(this.buf, this.off + 8, 16);
  }
  get dst(): IpAddress {
    return IpAddress.fromBytes(this.buf, this.off + 24, 16);
  }
  get payload(): Uint8Array {
    return this.buf.subarray(this.off + IPV6_HEADER_LEN, this.off + IPV6_HEADER_LEN + this.payloadLength);
  }
  isValid(): boolean {
    const avail = this.buf.length - this.off;
    return avail >= IPV6_HEADER_LEN && this.version === 6 && IPV6_HEADER_LEN + this.payloadLength <= avail;
  }
}

export interface Ipv6Repr {
  src: IpAddress;
  dst: IpAddress;
  nextHeader: number;
  hopLimit: number;
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
}

export function parseIpv6(b: Uint8Array): Ipv6Repr | null {
  const v = new Ipv6View(b);
  if (!v.isValid()) return null;
  return {
    src: v.src,
    dst: v.dst,
    nextHeader: v.nextHeader,
    hopLimit: v.hopLimit,
    trafficClass: v.trafficClass,
    flowLabel: v.flowLabel,
    payloadLength: v.payloadLength,
  };
}

/** Writes the fixed header at `off`; returns its length (40). */
export function emitIpv6(r: Ipv6Repr, b: Uint8Array, off = 0): number {
  set32(b, off, ((6 << 28) | ((r.trafficClass & 0xff) << 20) | (r.flowLabel & 0xfffff)) >>> 0);
  set16(b, off + 4, r.payloadLength);
  b[off + 6] = r.nextHeader;
  b[off + 7] = r.hopLimit;
  b.set(r.src.bytes, off + 8);
  b.set(r.dst.bytes, off + 24);
  return IPV6_HEADER_LEN;
}
