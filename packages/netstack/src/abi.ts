// The one place this package takes Linux ABI names from. Everything else
// imports from here, so moving to @tvisor/abi's exports is a one-file change.
//
// TODO(abi): @tvisor/abi does not export these yet (its index is empty at the
// time of writing). The values below were read from the host headers
// (<poll.h>, <sys/socket.h>, <netinet/in.h>, <netinet/tcp.h>, <errno.h>) with
// a throwaway C program; switch to `export { ... } from '@tvisor/abi'` once
// they land.

/** Linux errno values used by the stack. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  EPIPE: 32,
  ENONET: 64,
  EPROTO: 71,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ENETRESET: 102,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
} as const;

/** A failed operation, carrying the Linux errno a syscall would return. */
export class SysError extends Error {
  readonly errno: number;
  constructor(errno: number, detail?: string) {
    const name = Object.entries(Errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
    super(detail ? `${name}: ${detail}` : name);
    this.name = 'SysError';
    this.errno = errno;
  }
}

/** poll(2) event bits. */
export const POLL = {
  IN: 0x1,
  PRI: 0x2,
  OUT: 0x4,
  ERR: 0x8,
  HUP: 0x10,
  NVAL: 0x20,
  RDNORM: 0x40,
  RDBAND: 0x80,
  WRNORM: 0x100,
  WRBAND: 0x200,
  RDHUP: 0x2000,
} as const;

/** Address families. */
export const AF = { UNSPEC: 0, INET: 2, INET6: 10 } as const;

/** Socket types (low bits) and socket(2) type flags. */
export const SOCK = { STREAM: 1, DGRAM: 2, RAW: 3, NONBLOCK: 0o4000, CLOEXEC: 0o2000000 } as const;

/** Option levels. */
export const SOL = { SOCKET: 1, IP: 0, TCP: 6, UDP: 17, IPV6: 41 } as const;

/** IP protocol numbers. */
export const IPPROTO = { IP: 0, ICMP: 1, TCP: 6, UDP: 17, IPV6: 41, ICMPV6: 58 } as const;

/** SOL_SOCKET option names. */
export const SO = {
  REUSEADDR: 2,
  TYPE: 3,
  ERROR: 4,
  BROADCAST: 6,
  SNDBUF: 7,
  RCVBUF: 8,
  KEEPALIVE: 9,
  OOBINLINE: 10,
  LINGER: 13,
  REUSEPORT: 15,
  RCVLOWAT: 18,
  SNDLOWAT: 19,
  ACCEPTCONN: 30,
  PROTOCOL: 38,
  DOMAIN: 39,
} as const;

/** IPPROTO_TCP option names. */
export const TCP_OPT = {
  NODELAY: 1,
  MAXSEG: 2,
  CORK: 3,
  KEEPIDLE: 4,
  KEEPINTVL: 5,
  KEEPCNT: 6,
  LINGER2: 8,
  INFO: 11,
  QUICKACK: 12,
  CONGESTION: 13,
  USER_TIMEOUT: 18,
} as const;

/** IPPROTO_IP / IPPROTO_IPV6 option names used here. */
export const IP_OPT = { TOS: 1, TTL: 2 } as const;
export const IPV6_OPT = { UNICAST_HOPS: 16, V6ONLY: 26 } as const;

/** shutdown(2) `how`. */
export const SHUT = { RD: 0, WR: 1, RDWR: 2 } as const;

/** send/recv flags. */
export const MSG = {
  OOB: 0x1,
  PEEK: 0x2,
  DONTROUTE: 0x4,
  TRUNC: 0x20,
  DONTWAIT: 0x40,
  WAITALL: 0x100,
  NOSIGNAL: 0x4000,
} as const;
