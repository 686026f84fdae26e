// Outbound packets are built back to front: a transport writes its segment
// after enough headroom for the network and link headers, and each lower
// layer prepends its header in place, so a packet is copied at most once.

import { ETHERNET_HEADER_LEN } from '../wire/ethernet.js';
import { IPV6_HEADER_LEN } from '../wire/ipv6.js';

/** Room reserved in front of every transport segment: Ethernet + the largest network header we emit. */
export const HEADROOM = ETHERNET_HEADER_LEN + IPV6_HEADER_LEN;

/** A packet under construction: the bytes from `off` to the end are the packet so far. */
export interface OutPacket {
  buf: Uint8Array;
  off: number;
}

/** Allocates a packet with `len` bytes of transport data after the standard headroom. */
export function allocPacket(len: number): OutPacket {
  return { buf: new Uint8Array(HEADROOM + len), off: HEADROOM };
}

/** The current contents of a packet. */
export function packetBytes(p: OutPacket): Uint8Array {
  return p.buf.subarray(p.off);
}

/** The TOS byte of a received IPv4 packet's header, or the traffic class of an IPv6 one. */
export function trafficClass(packet: Uint8Array): number {
  return packet[0] >> 4 === 4 ? packet[1] : ((packet[0] & 0x0f) << 4) | (packet[1] >> 4);
}
