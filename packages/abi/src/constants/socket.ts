/** Address families (AF_*). */
export const AF = {
  UNSPEC: 0,
  UNIX: 1,
  LOCAL: 1,
  INET: 2,
  INET6: 10,
  NETLINK: 16,
  PACKET: 17,
} as const;

/** Socket types and the flags socket(2) accepts or-ed into the type. */
export const SOCK = {
  STREAM: 1,
  DGRAM: 2,
  RAW: 3,
  RDM: 4,
  SEQPACKET: 5,
  PACKET: 10,
  NONBLOCK: 0o4000,
  CLOEXEC: 0o2000000,
} as const;

/** Mask of the type part of socket(2)'s `type`. */
export const SOCK_TYPE_MASK = 0xf;

/** Socket option levels (SOL_*). */
export const SOL = {
  IP: 0,
  SOCKET: 1,
  TCP: 6,
  IPV6: 41,
  RAW: 255,
  PACKET: 263,
  NETLINK: 270,
} as const;

/** SOL_SOCKET options. */
export const SO = {
  DEBUG: 1,
  REUSEADDR: 2,
  TYPE: 3,
  ERROR: 4,
  DONTROUTE: 5,
  BROADCAST: 6,
  SNDBUF: 7,
  RCVBUF: 8,
  KEEPALIVE: 9,
  OOBINLINE: 10,
  NO_CHECK: 11,
  PRIORITY: 12,
  LINGER: 13,
  BSDCOMPAT: 14,
  REUSEPORT: 15,
  PASSCRED: 16,
  PEERCRED: 17,
  RCVLOWAT: 18,
  SNDLOWAT: 19,
  RCVTIMEO: 20,
  SNDTIMEO: 21,
  BINDTODEVICE: 25,
  ATTACH_FILTER: 26,
  DETACH_FILTER: 27,
  PEERNAME: 28,
  TIMESTAMP: 29,
  ACCEPTCONN: 30,
  PEERSEC: 31,
  SNDBUFFORCE: 32,
  RCVBUFFORCE: 33,
  PASSSEC: 34,
  TIMESTAMPNS: 35,
  MARK: 36,
  TIMESTAMPING: 37,
  PROTOCOL: 38,
  DOMAIN: 39,
  RXQ_OVFL: 40,
  PEEK_OFF: 42,
  LOCK_FILTER: 44,
  BUSY_POLL: 46,
  INCOMING_CPU: 49,
  COOKIE: 57,
  PEERGROUPS: 59,
  ZEROCOPY: 60,
} as const;

/** IP protocol numbers. */
export const IPPROTO = {
  IP: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ICMPV6: 58,
  RAW: 255,
} as const;

/** SOL_IP options. */
export const IP = {
  TOS: 1,
  TTL: 2,
  HDRINCL: 3,
  OPTIONS: 4,
  ROUTER_ALERT: 5,
  RECVOPTS: 6,
  RETOPTS: 7,
  PKTINFO: 8,
  MTU_DISCOVER: 10,
  RECVERR: 11,
  RECVTTL: 12,
  RECVTOS: 13,
  MTU: 14,
  FREEBIND: 15,
  PASSSEC: 18,
  TRANSPARENT: 19,
  RECVORIGDSTADDR: 20,
  MINTTL: 21,
  NODEFRAG: 22,
  CHECKSUM: 23,
  BIND_ADDRESS_NO_PORT: 24,
  RECVFRAGSIZE: 25,
  MULTICAST_IF: 32,
  MULTICAST_TTL: 33,
  MULTICAST_LOOP: 34,
  ADD_MEMBERSHIP: 35,
  DROP_MEMBERSHIP: 36,
  MULTICAST_ALL: 49,
  PMTUDISC_DONT: 0,
  PMTUDISC_WANT: 1,
  PMTUDISC_DO: 2,
  PMTUDISC_PROBE: 3,
  PMTUDISC_INTERFACE: 4,
  PMTUDISC_OMIT: 5,
} as const;

/** SOL_IPV6 options. */
export const IPV6 = {
  CHECKSUM: 7,
  UNICAST_HOPS: 16,
  MULTICAST_IF: 17,
  MULTICAST_HOPS: 18,
  MULTICAST_LOOP: 19,
  ADD_MEMBERSHIP: 20,
  DROP_MEMBERSHIP: 21,
  MTU_DISCOVER: 23,
  MTU: 24,
  RECVERR: 25,
  V6ONLY: 26,
  RECVPKTINFO: 49,
  PKTINFO: 50,
  RECVHOPLIMIT: 51,
  HOPLIMIT: 52,
  RECVTCLASS: 66,
  TCLASS: 67,
  RECVORIGDSTADDR: 74,
} as const;

/** SOL_RAW options of IPPROTO_ICMP raw sockets (<linux/icmp.h>). */
export const ICMP = {
  FILTER: 1,
} as const;

/** SOL_ICMPV6 (= IPPROTO_ICMPV6) options of ICMPv6 raw sockets (<netinet/icmp6.h>). */
export const ICMP6 = {
  FILTER: 1,
} as const;

/** SOL_TCP options. */
export const TCP = {
  NODELAY: 1,
  MAXSEG: 2,
  CORK: 3,
  KEEPIDLE: 4,
  KEEPINTVL: 5,
  KEEPCNT: 6,
  SYNCNT: 7,
  LINGER2: 8,
  DEFER_ACCEPT: 9,
  WINDOW_CLAMP: 10,
  INFO: 11,
  QUICKACK: 12,
  CONGESTION: 13,
  USER_TIMEOUT: 18,
  FASTOPEN: 23,
  NOTSENT_LOWAT: 25,
  INQ: 36,
  /** The control message type TCP_INQ adds to recvmsg (same number as the option). */
  CM_INQ: 36,
} as const;

/** send/recv flags (MSG_*). */
export const MSG = {
  OOB: 0x1,
  PEEK: 0x2,
  DONTROUTE: 0x4,
  CTRUNC: 0x8,
  PROXY: 0x10,
  TRUNC: 0x20,
  DONTWAIT: 0x40,
  EOR: 0x80,
  WAITALL: 0x100,
  FIN: 0x200,
  SYN: 0x400,
  CONFIRM: 0x800,
  RST: 0x1000,
  ERRQUEUE: 0x2000,
  NOSIGNAL: 0x4000,
  MORE: 0x8000,
  WAITFORONE: 0x10000,
  BATCH: 0x40000,
  ZEROCOPY: 0x4000000,
  FASTOPEN: 0x20000000,
  CMSG_CLOEXEC: 0x40000000,
} as const;

/** Control message types at SOL_SOCKET. */
export const SCM = { RIGHTS: 1, CREDENTIALS: 2 } as const;

/** shutdown(2) `how`. */
export const SHUT = { RD: 0, WR: 1, RDWR: 2 } as const;
