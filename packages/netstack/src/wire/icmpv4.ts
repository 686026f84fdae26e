// ICMPv4 messages (RFC 792). Every message is type, code, checksum, a 32-bit
// type-specific word and a body; the repr keeps that shape.

import { get16, set16, get32, set32 } from './bytes.js';
import { internetChecksum } from './checksum.js';

export const ICMP_HEADER_LEN = 8;

export const Icmpv4Type = { ECHO_REPLY: 0, DEST_UNREACHABLE: 3, ECHO_REQUEST: 8, TIME_EXCEEDED: 11, PARAM_PROBLEM: 12 } as const;

/** Destination-unreachable codes. */
export const Icmpv4Unreach = { NET: 0, HOST: 1, PROTOCOL: 2, PORT: 3, FRAG_NEEDED: 4, ADMIN: 13 } as const;

export interface Icmpv4Repr {
  type: number;
  code: number;
  /** The type-specific 32-bit word (echo: ident << 16 | seq; frag-needed: next-hop MTU in the low 16 bits). */
  rest: number;
  /** Echo data, or the quoted offending datagram for errors. */
  body: Uint8Array;
}

/** Parses a message, verifying its checksum; null if invalid. */
export function parseIcmpv4(b: Uint8Array): Icmpv4Repr | null {
  if (b.length < ICMP_HEADER_LEN || internetChecksum(b) !== 0) return null;
  return { type: b[0], code: b[1], rest: get32(b, 4), body: b.slice(ICMP_HEADER_LEN) };
}

export function icmpv4Length(r: Icmpv4Repr): number {
  return ICMP_HEADER_LEN + r.body.length;
}

/** Writes the message with its checksum at `off`; returns its length. */
export function emitIcmpv4(r: Icmpv4Repr, b: Uint8Array, off = 0): number {
  const len = icmpv4Length(r);
  b[off] = r.type;
  b[off + 1] = r.code;
  set16(b, off + 2, 0);
  set32(b, off + 4, r.rest >>> 0);
  b.set(r.body, off + ICMP_HEADER_LEN);
  set16(b, off + 2, internetChecksum(b, off, off + len));
  return len;
}

/** Echo identifier and sequence number from the rest word. */
export function echoFields(rest: number): { ident: number; seq: number } {
  return { ident: rest >>> 16, seq: rest & 0xffff };
}

export function icmpChecksumField(b: Uint8Array): number {
  return get16(b, 2);
}
