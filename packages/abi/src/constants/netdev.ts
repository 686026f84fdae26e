import { IOC, ioc } from './ioctl.js';

/** Socket and network-device ioctls (SIOC*; SIOCGIFFLAGS -> SIOC.GIFFLAGS). */
export const SIOC = {
  ADDRT: 0x890b,
  DELRT: 0x890c,
  SPGRP: 0x8902,
  GPGRP: 0x8904,
  ATMARK: 0x8905,
  GSTAMP: 0x8906,
  GSTAMPNS: 0x8907,
  GIFNAME: 0x8910,
  GIFCONF: 0x8912,
  GIFFLAGS: 0x8913,
  SIFFLAGS: 0x8914,
  GIFADDR: 0x8915,
  SIFADDR: 0x8916,
  GIFDSTADDR: 0x8917,
  GIFBRDADDR: 0x8919,
  GIFNETMASK: 0x891b,
  SIFNETMASK: 0x891c,
  GIFMETRIC: 0x891d,
  GIFMTU: 0x8921,
  SIFMTU: 0x8922,
  GIFHWADDR: 0x8927,
  GIFINDEX: 0x8933,
  GIFTXQLEN: 0x8942,
  ETHTOOL: 0x8946,
} as const;

/** Network device flags (ifr_flags). */
export const IFF = {
  UP: 0x1,
  BROADCAST: 0x2,
  DEBUG: 0x4,
  LOOPBACK: 0x8,
  POINTOPOINT: 0x10,
  NOTRAILERS: 0x20,
  RUNNING: 0x40,
  NOARP: 0x80,
  PROMISC: 0x100,
  ALLMULTI: 0x200,
  MASTER: 0x400,
  SLAVE: 0x800,
  MULTICAST: 0x1000,
  PORTSEL: 0x2000,
  AUTOMEDIA: 0x4000,
  DYNAMIC: 0x8000,
  LOWER_UP: 0x10000,
  DORMANT: 0x20000,
  ECHO: 0x40000,
} as const;

/** Size of a network interface name buffer, NUL included. */
export const IFNAMSIZ = 16;

/** Routing-table entry flags (rt_flags, the Flags column of /proc/net/route). */
export const RTF = {
  UP: 0x1,
  GATEWAY: 0x2,
  HOST: 0x4,
} as const;

/** ARP entry flags (the Flags column of /proc/net/arp). */
export const ATF = {
  COM: 0x02,
  PERM: 0x04,
} as const;

/** TUN/TAP device ioctls on an open /dev/net/tun (TUNSETIFF -> TUN.SETIFF). */
export const TUN = {
  SETIFF: ioc(IOC.WRITE, 'T', 202, 4),
  SETPERSIST: ioc(IOC.WRITE, 'T', 203, 4),
  SETOWNER: ioc(IOC.WRITE, 'T', 204, 4),
  SETGROUP: ioc(IOC.WRITE, 'T', 206, 4),
  GETFEATURES: ioc(IOC.READ, 'T', 207, 4),
  GETIFF: ioc(IOC.READ, 'T', 210, 4),
} as const;

/** TUNSETIFF's ifr_flags (IFF_TUN -> TUN_IFF.TUN); NOFILTER shares its bit with NO_PI. */
export const TUN_IFF = {
  TUN: 0x0001,
  TAP: 0x0002,
  NAPI: 0x0010,
  NAPI_FRAGS: 0x0020,
  MULTI_QUEUE: 0x0100,
  PERSIST: 0x0800,
  NOFILTER: 0x1000,
  NO_PI: 0x1000,
  ONE_QUEUE: 0x2000,
  VNET_HDR: 0x4000,
  TUN_EXCL: 0x8000,
} as const;

/** struct tun_pi's flags: the packet was cut to fit the reader's buffer. */
export const TUN_PKT_STRIP = 0x0001;
