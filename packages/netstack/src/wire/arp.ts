// ARP for IPv4 over Ethernet (RFC 826). Only hardware type 1 / protocol
// 0x0800 packets are understood.

import { get16, set16 } from './bytes.js';
import { IpAddress, type MacAddress } from './address.js';

export const ARP_PACKET_LEN = 28;
export const ArpOp = { REQUEST: 1, REPLY: 2 } as const;

export interface ArpRepr {
  op: number;
  senderMac: MacAddress;
  senderIp: IpAddress;
  targetMac: MacAddress;
  targetIp: IpAddress;
}

/** Parses an Ethernet/IPv4 ARP packet; null if malformed or another hardware/protocol pair. */
export function parseArp(b: Uint8Array): ArpRepr | null {
  if (b.length < ARP_PACKET_LEN) return null;
  if (get16(b, 0) !== 1 || get16(b, 2) !== 0x0800 || b[4] !== 6 || b[5] !== 4) return null;
  return {
    op: get16(b, 6),
    senderMac: b.slice(8, 14),
    senderIp: IpAddress.fromBytes(b, 14, 4),
    targetMac: b.slice(18, 24),
    targetIp: IpAddress.fromBytes(b, 24, 4),
  };
}

/** Writes an ARP packet of ARP_PACKET_LEN bytes at `off`. */
export function emitArp(r: ArpRepr, b: Uint8Array, off = 0): void {
  set16(b, off, 1);
  set16(b, off + 2, 0x0800);
  b[off + 4] = 6;
  b[off + 5] = 4;
  set16(b, off + 6, r.op);
  b.set(r.senderMac, off + 8);
  b.set(r.senderIp.bytes, off + 14);
  b.set(r.targetMac, off + 18);
  b.set(r.targetIp.bytes, off + 24);
}
