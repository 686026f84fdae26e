// UDP headers (RFC 768) with the pseudo-header checksum (mandatory over IPv6).

import { get16, set16 } from './bytes.js';
import { finishChecksum, pseudoHeaderSum, sumBytes } from './checksum.js';
import type { IpAddress } from './address.js';
import { IPPROTO } from '../abi.js';

export const UDP_HEADER_LEN = 8;

/** A typed view of a UDP header at `off`. */
export class UdpView {
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
  ) {}
  get srcPort(): number {
    return get16(this.buf, this.off);
  }
  get dstPort(): number {
    return get16(this.buf, this.off + 2);
  }
  get length(): number {
    return get16(this.buf, this.off + 4);
  }
  get checksum(): number {
    return get16(this.buf, this.off + 6);
  }
  get payload(): Uint8Array {
    return this.buf.subarray(this.off + UDP_HEADER_LEN, this.off + this.length);
  }
}

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/**
 * Parses a datagram and checks its length and checksum against the
 * pseudo-header. A zero checksum means "none" over IPv4 and is invalid over IPv6.
 */
export function parseUdp(b: Uint8Array, src: IpAddress, dst: IpAddress): UdpRepr | null {
  if (b.length < UDP_HEADER_LEN) return null;
  const v = new UdpView(b);
  const len = v.length;
  if (len < UDP_HEADER_LEN || len > b.length) return null;
  if (v.checksum === 0) {
    if (src.version === 6) return null;
  } else if (finishChecksum(pseudoHeaderSum(src.bytes, dst.bytes, IPPROTO.UDP, len) + sumBytes(b, 0, len)) !== 0) {
    return null;
  }
  return { srcPort: v.srcPort, dstPort: v.dstPort, payload: b.subarray(UDP_HEADER_LEN, len) };
}

/** Writes header and payload at `off` with the checksum filled in; returns the length. */
export function emitUdp(r: UdpRepr, b: Uint8Array, off: number, src: IpAddress, dst: IpAddress): number {
  const len = UDP_HEADER_LEN + r.payload.length;
  set16(b, off, r.srcPort);
  set16(b, off + 2, r.dstPort);
  set16(b, off + 4, len);
  set16(b, off + 6, 0);
  if (b.buffer !== r.payload.buffer || b.byteOffset + off + UDP_HEADER_LEN !== r.payload.byteOffset) b.set(r.payload, off + UDP_HEADER_LEN);
  let ck = finishChecksum(pseudoHeaderSum(src.bytes, dst.bytes, IPPROTO.UDP, len) + sumBytes(b, off, off + len));
  if (ck === 0) ck = 0xffff; // zero means "no checksum" on the wire
  set16(b, off + 6, ck);
  return len;
}
