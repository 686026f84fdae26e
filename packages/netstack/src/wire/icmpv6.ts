// ICMPv6 (RFC 4443) and the Neighbor Discovery messages the stack uses
// (RFC 4861 neighbor solicitation/advertisement with link-layer address
// options). The checksum covers the IPv6 pseudo-header.

import { get32, set16, set32 } from './bytes.js';
import { finishChecksum, pseudoHeaderSum, sumBytes } from './checksum.js';
import { IpAddress, type MacAddress } from './address.js';
import { IPPROTO } from '../abi.js';

export const Icmpv6Type = {
  DEST_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAM_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  ROUTER_SOLICIT: 133,
  ROUTER_ADVERT: 134,
  NEIGHBOR_SOLICIT: 135,
  NEIGHBOR_ADVERT: 136,
} as const;

export const Icmpv6Unreach = { NO_ROUTE: 0, ADMIN: 1, ADDRESS: 3, PORT: 4 } as const;

export interface Icmpv6Repr {
  type: number;
  code: number;
  /** The type-specific 32-bit word. */
  rest: number;
  body: Uint8Array;
}

/** Parses a message and verifies its checksum against the pseudo-header; null if invalid. */
export function parseIcmpv6(b: Uint8Array, src: IpAddress, dst: IpAddress): Icmpv6Repr | null {
  if (b.length < 8) return null;
  const sum = pseudoHeaderSum(src.bytes, dst.bytes, IPPROTO.ICMPV6, b.length) + sumBytes(b);
  if (finishChecksum(sum) !== 0) return null;
  return { type: b[0], code: b[1], rest: get32(b, 4), body: b.slice(8) };
}

/** Writes the message with its checksum at `off`; returns its length. */
export function emitIcmpv6(r: Icmpv6Repr, b: Uint8Array, off: number, src: IpAddress, dst: IpAddress): number {
  const len = 8 + r.body.length;
  b[off] = r.type;
  b[off + 1] = r.code;
  set16(b, off + 2, 0);
  set32(b, off + 4, r.rest >>> 0);
  b.set(r.body, off + 8);
  const sum = pseudoHeaderSum(src.bytes, dst.bytes, IPPROTO.ICMPV6, len) + sumBytes(b, off, off + len);
  set16(b, off + 2, finishChecksum(sum));
  return len;
}

/** NDP option types. */
export const NdpOption = { SOURCE_LL: 1, TARGET_LL: 2 } as const;

/** Neighbor-advertisement flag bits in the rest word. */
export const NA_ROUTER = 0x80000000;
export const NA_SOLICITED = 0x40000000;
export const NA_OVERRIDE = 0x20000000;

export interface NdpRepr {
  /** NEIGHBOR_SOLICIT or NEIGHBOR_ADVERT. */
  type: number;
  flags: number;
  target: IpAddress;
  /** The source (NS) or target (NA) link-layer address option, if present. */
  linkAddr: MacAddress | null;
}

/** Decodes an NS/NA from a parsed ICMPv6 message; null if it is not a well-formed one. */
export function parseNdp(m: Icmpv6Repr): NdpRepr | null {
  if (m.type !== Icmpv6Type.NEIGHBOR_SOLICIT && m.type !== Icmpv6Type.NEIGHBOR_ADVERT) return null;
  if (m.code !== 0 || m.body.length < 16) return null;
  const target = IpAddress.fromBytes(m.body, 0, 16);
  let linkAddr: MacAddress | null = null;
  const wanted = m.type === Icmpv6Type.NEIGHBOR_SOLICIT ? NdpOption.SOURCE_LL : NdpOption.TARGET_LL;
  for (let o = 16; o + 2 <= m.body.length;) {
    const len = m.body[o + 1] * 8;
    if (len === 0 || o + len > m.body.length) return null;
    if (m.body[o] === wanted && len >= 8) linkAddr = m.body.slice(o + 2, o + 8);
    o += len;
  }
  return { type: m.type, flags: m.rest & 0xe0000000, target, linkAddr };
}

/** Builds the ICMPv6 repr for an NS/NA. */
export function ndpToIcmpv6(n: NdpRepr): Icmpv6Repr {
  const body = new Uint8Array(16 + (n.linkAddr ? 8 : 0));
  body.set(n.target.bytes, 0);
  if (n.linkAddr) {
    body[16] = n.type === Icmpv6Type.NEIGHBOR_SOLICIT ? NdpOption.SOURCE_LL : NdpOption.TARGET_LL;
    body[17] = 1;
    body.set(n.linkAddr, 18);
  }
  return { type: n.type, code: 0, rest: n.flags >>> 0, body };
}
