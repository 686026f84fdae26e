import { bytes, i32, u16, u16be, u32, u8 } from './fields.js';
import { struct } from './struct.js';

/** struct sockaddr_ll: an AF_PACKET address (the protocol is big-endian, as on the wire). */
export interface SockaddrLl {
  sll_family: number;
  sll_protocol: number;
  sll_ifindex: number;
  sll_hatype: number;
  sll_pkttype: number;
  sll_halen: number;
  sll_addr: Uint8Array;
}
export const SockaddrLl = struct<SockaddrLl>('struct sockaddr_ll', 20, {
  sll_family: u16(0),
  sll_protocol: u16be(2),
  sll_ifindex: i32(4),
  sll_hatype: u16(8),
  sll_pkttype: u8(10),
  sll_halen: u8(11),
  sll_addr: bytes(12, 8),
});

/** struct ethtool_value: a SIOCETHTOOL get/set of one number (e.g. ETHTOOL_STXCSUM). */
export interface EthtoolValue {
  cmd: number;
  data: number;
}
export const EthtoolValue = struct<EthtoolValue>('struct ethtool_value', 8, { cmd: u32(0), data: u32(4) });

/**
 * struct virtio_net_hdr: with PACKET_VNET_HDR, the offload state of each frame read from or written to an
 * AF_PACKET socket (a GSO segment's size and type; where a partial checksum is to be completed).
 */
export interface VirtioNetHdr {
  flags: number;
  gso_type: number;
  hdr_len: number;
  gso_size: number;
  csum_start: number;
  csum_offset: number;
}
export const VirtioNetHdr = struct<VirtioNetHdr>('struct virtio_net_hdr', 10, {
  flags: u8(0),
  gso_type: u8(1),
  hdr_len: u16(2),
  gso_size: u16(4),
  csum_start: u16(6),
  csum_offset: u16(8),
});
