/** Ethernet protocol ids (ETH_P_*, <linux/if_ether.h>), host byte order; sockaddr_ll and socket(AF_PACKET) want them big-endian. */
export const ETH_P = {
  ALL: 0x0003,
  IP: 0x0800,
  ARP: 0x0806,
  IPV6: 0x86dd,
} as const;

/** AF_PACKET socket options at level SOL_PACKET and sll_pkttype values (PACKET_*, <linux/if_packet.h>). */
export const PACKET = {
  HOST: 0,
  BROADCAST: 1,
  MULTICAST: 2,
  OTHERHOST: 3,
  OUTGOING: 4,
  ADD_MEMBERSHIP: 1,
  AUXDATA: 8,
  VNET_HDR: 15,
  IGNORE_OUTGOING: 23,
} as const;

/** SIOCETHTOOL commands (ETHTOOL_*, <linux/ethtool.h>) that switch a device's offloads. */
export const ETHTOOL = {
  GTXCSUM: 0x16,
  STXCSUM: 0x17,
  GGSO: 0x23,
  SGSO: 0x24,
  STSO: 0x1f,
  SGRO: 0x2c,
} as const;

/** struct virtio_net_hdr flags and GSO types (VIRTIO_NET_HDR_*, <linux/virtio_net.h>): what PACKET_VNET_HDR puts before each frame. */
export const VIRTIO_NET_HDR = {
  F_NEEDS_CSUM: 1,
  F_DATA_VALID: 2,
  GSO_NONE: 0,
  GSO_TCPV4: 1,
  GSO_UDP: 3,
  GSO_TCPV6: 4,
  GSO_ECN: 0x80,
} as const;
