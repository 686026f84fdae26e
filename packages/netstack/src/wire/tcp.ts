// TCP headers (RFC 9293) with the options the stack speaks: MSS (RFC 9293),
// window scale and timestamps (RFC 7323), SACK-permitted and SACK (RFC 2018).

import { get16, get32, set16, set32 } from './bytes.js';
import { finishChecksum, pseudoHeaderSum, sumBytes } from './checksum.js';
import type { IpAddress } from './address.js';
import { IPPROTO } from '../abi.js';

export const TCP_MIN_HEADER_LEN = 20;
export const TCP_MAX_HEADER_LEN = 60;

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

export const TcpOptionKind = { EOL: 0, NOP: 1, MSS: 2, WINDOW_SCALE: 3, SACK_PERMITTED: 4, SACK: 5, TIMESTAMP: 8 } as const;

/** A SACK block [left, right) in sequence space. */
export interface SackBlock {
  left: number;
  right: number;
}

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** TcpFlag bits. */
  flags: number;
  /** The raw 16-bit window field (unscaled). */
  window: number;
  urgent: number;
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
  sackBlocks?: SackBlock[];
  /** TSval / TSecr. */
  timestamp?: { value: number; echo: number };
  payload: Uint8Array;
}

/** A typed view of a TCP header at `off`. */
export class TcpView {
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
  get seq(): number {
    return get32(this.buf, this.off + 4);
  }
  get ack(): number {
    return get32(this.buf, this.off + 8);
  }
  get headerLength(): number {
    return (this.buf[this.off + 12] >> 4) * 4;
  }
  get flags(): number {
    return this.buf[this.off + 13];
  }
  get window(): number {
    return get16(this.buf, this.off + 14);
  }
  get checksum(): number {
    return get16(this.buf, this.off + 16);
  }
  get urgent(): number {
    return get16(this.buf, this.off + 18);
  }
  get options(): Uint8Array {
    return this.buf.subarray(this.off + TCP_MIN_HEADER_LEN, this.off + this.headerLength);
  }
  get payload(): Uint8Array {
    return this.buf.subarray(this.off + this.headerLength);
  }
}

/** Options encoded length (padded to 4) for a repr. */
export function tcpOptionsLength(r: TcpRepr): number {
  let n = 0;
  if (r.mss !== undefined) n += 4;
  if (r.timestamp)
    n += 12; // NOP NOP TS, or SACK-permitted TS
  else if (r.sackPermitted) n += 4;
  if (r.windowScale !== undefined) n += 4;
  if (r.sackBlocks && r.sackBlocks.length > 0) n += 4 + 8 * r.sackBlocks.length; // NOP NOP SACK
  return n;
}

export function tcpHeaderLength(r: TcpRepr): number {
  return TCP_MIN_HEADER_LEN + tcpOptionsLength(r);
}

/**
 * Parses a segment, verifying the checksum unless `verifyChecksum` is false
 * (links that guarantee integrity, like loopback). Malformed options make the
 * whole segment invalid (null), as do bad lengths or checksums.
 */
export function parseTcp(b: Uint8Array, src: IpAddress, dst: IpAddress, verifyChecksum = true): TcpRepr | null {
  if (b.length < TCP_MIN_HEADER_LEN) return null;
  const v = new TcpView(b);
  const hl = v.headerLength;
  if (hl < TCP_MIN_HEADER_LEN || hl > b.length) return null;
  if (verifyChecksum && finishChecksum(pseudoHeaderSum(src.bytes, dst.bytes, IPPROTO.TCP, b.length) + sumBytes(b)) !== 0) return null;
  const r: TcpRepr = {
    srcPort: v.srcPort,
    dstPort: v.dstPort,
    seq: v.seq,
    ack: v.ack,
    flags: v.flags,
    window: v.window,
    urgent: v.urgent,
    payload: b.subarray(hl),
  };
  for (let o = TCP_MIN_HEADER_LEN; o < hl;) {
    const kind = b[o];
    if (kind === TcpOptionKind.EOL) break;
    if (kind === TcpOptionKind.NOP) {
      o++;
      continue;
    }
    if (o + 1 >= hl) return null;
    const len = b[o + 1];
    if (len < 2 || o + len > hl) return null;
    switch (kind) {
      case TcpOptionKind.MSS:
        if (len !== 4) return null;
        r.mss = get16(b, o + 2);
        break;
      case TcpOptionKind.WINDOW_SCALE:
        if (len !== 3) return null;
        r.windowScale = b[o + 2];
        break;
      case TcpOptionKind.SACK_PERMITTED:
        if (len !== 2) return null;
        r.sackPermitted = true;
        break;
      case TcpOptionKind.SACK: {
        if ((len - 2) % 8 !== 0 || len === 2) return null;
        const blocks: SackBlock[] = [];
        for (let p = o + 2; p < o + len; p += 8) blocks.push({ left: get32(b, p), right: get32(b, p + 4) });
        r.sackBlocks = blocks;
        break;
      }
      case TcpOptionKind.TIMESTAMP:
        if (len !== 10) return null;
        r.timestamp = { value: get32(b, o + 2), echo: get32(b, o + 6) };
        break;
      default:
        break; // unknown options are skipped (RFC 9293 3.1)
    }
    o += len;
  }
  return r;
}

/** Writes header options at `o`; returns the offset after them. */
function emitOptions(r: TcpRepr, b: Uint8Array, o: number): number {
  if (r.mss !== undefined) {
    b[o] = TcpOptionKind.MSS;
    b[o + 1] = 4;
    set16(b, o + 2, r.mss);
    o += 4;
  }
  if (r.timestamp) {
    if (r.sackPermitted) {
      b[o] = TcpOptionKind.SACK_PERMITTED;
      b[o + 1] = 2;
    } else {
      b[o] = TcpOptionKind.NOP;
      b[o + 1] = TcpOptionKind.NOP;
    }
    b[o + 2] = TcpOptionKind.TIMESTAMP;
    b[o + 3] = 10;
    set32(b, o + 4, r.timestamp.value >>> 0);
    set32(b, o + 8, r.timestamp.echo >>> 0);
    o += 12;
  } else if (r.sackPermitted) {
    b[o] = TcpOptionKind.NOP;
    b[o + 1] = TcpOptionKind.NOP;
    b[o + 2] = TcpOptionKind.SACK_PERMITTED;
    b[o + 3] = 2;
    o += 4;
  }
  if (r.windowScale !== undefined) {
    b[o] = TcpOptionKind.NOP;
    b[o + 1] = TcpOptionKind.WINDOW_SCALE;
    b[o + 2] = 3;
    b[o + 3] = r.windowScale;
    o += 4;
  }
  if (r.sackBlocks && r.sackBlocks.length > 0) {
    b[o] = TcpOptionKind.NOP;
    b[o + 1] = TcpOptionKind.NOP;
    b[o + 2] = TcpOptionKind.SACK;
    b[o + 3] = 2 + 8 * r.sackBlocks.length;
    o += 4;
    for (const blk of r.sackBlocks) {
      set32(b, o, blk.left >>> 0);
      set32(b, o + 4, blk.right >>> 0);
      o += 8;
    }
  }
  return o;
}

/**
 * Writes the segment at `off` (header, options, payload) with its checksum.
 * If the payload already sits right after the header in `b`, it is not copied.
 * Returns the segment length.
 */
export function emitTcp(r: TcpRepr, b: Uint8Array, off: number, src: IpAddress, dst: IpAddress, computeChecksum = true): number {
  const hl = tcpHeaderLength(r);
  const len = hl + r.payload.length;
  set16(b, off, r.srcPort);
  set16(b, off + 2, r.dstPort);
  set32(b, off + 4, r.seq >>> 0);
  set32(b, off + 8, r.ack >>> 0);
  b[off + 12] = (hl / 4) << 4;
  b[off + 13] = r.flags;
  set16(b, off + 14, r.window);
  set16(b, off + 16, 0);
  set16(b, off + 18, r.urgent);
  emitOptions(r, b, off + TCP_MIN_HEADER_LEN);
  if (r.payload.length > 0 && (b.buffer !== r.payload.buffer || b.byteOffset + off + hl !== r.payload.byteOffset)) b.set(r.payload, off + hl);
  if (computeChecksum) set16(b, off + 16, finishChecksum(pseudoHeaderSum(src.bytes, dst.bytes, IPPROTO.TCP, len) + sumBytes(b, off, off + len)));
  return len;
}
