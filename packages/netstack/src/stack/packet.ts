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

/**
 * Segmentation left to the link (GSO): the payload bytes each segment is to
 * carry, for TCP packets larger than the MTU. Kept by the packet's buffer, so
 * it travels through the network layer, the neighbour queue and the NIC
 * (which see only byte views of that buffer) to the link endpoint.
 */
const gsoSizes = new WeakMap<ArrayBufferLike, number>();

/** Marks `p` as a TCP packet the link is to cut into segments of `size` payload bytes. */
export function setGsoSize(p: OutPacket, size: number): void {
  gsoSizes.set(p.buf.buffer, size);
}

/** The GSO segment size of the packet `bytes` views (0: send it as it is). */
export function gsoSizeOf(bytes: Uint8Array): number {
  return gsoSizes.get(bytes.buffer) ?? 0;
}

/** The current contents of a packet. */
export function packetBytes(p: OutPacket): Uint8Array {
  return p.buf.subarray(p.off);
}

/** The TOS byte of a received IPv4 packet's header, or the traffic class of an IPv6 one. */
export function trafficClass(packet: Uint8Array): number {
  return packet[0] >> 4 === 4 ? packet[1] : ((packet[0] & 0x0f) << 4) | (packet[1] >> 4);
}
