// The Linux ABI names this package uses, all from @tvisor/abi. Importing
// them through this one module keeps the dependency surface explicit.

export { Errno, SysError, errnoName, POLL, AF, SOCK, SOL, SO, IPPROTO, IP, IPV6, ICMP, ICMP6, TCP, SHUT, MSG, SockaddrIn, SockaddrIn6 } from '@tvisor/abi';
export { CLONE, ETHTOOL, ETH_P, EthtoolValue, IFNAMSIZ, Ifreq, O, PACKET, SIOC, SockaddrLl, VIRTIO_NET_HDR, VirtioNetHdr } from '@tvisor/abi';
