import { bytes, i32, nested, u16, u16be, u32, u32be, u64 } from './fields.js';
import { struct } from './struct.js';

/** struct msghdr (sendmsg/recvmsg); pointers are user addresses. */
export interface Msghdr {
  msg_name: number;
  msg_namelen: number;
  msg_iov: number;
  msg_iovlen: number;
  msg_control: number;
  msg_controllen: number;
  msg_flags: number;
}
export const Msghdr = struct<Msghdr>('struct msghdr', 56, {
  msg_name: u64(0),
  msg_namelen: u32(8),
  msg_iov: u64(16),
  msg_iovlen: u64(24),
  msg_control: u64(32),
  msg_controllen: u64(40),
  msg_flags: i32(48),
});

/** struct mmsghdr (sendmmsg/recvmmsg). */
export interface Mmsghdr {
  msg_hdr: Msghdr;
  msg_len: number;
}
export const Mmsghdr = struct<Mmsghdr>('struct mmsghdr', 64, { msg_hdr: nested(0, Msghdr), msg_len: u32(56) });

/** struct cmsghdr: header of one control message; data follows at CMSG_ALIGN(16). */
export interface Cmsghdr {
  cmsg_len: number;
  cmsg_level: number;
  cmsg_type: number;
}
export const Cmsghdr = struct<Cmsghdr>('struct cmsghdr', 16, { cmsg_len: u64(0), cmsg_level: i32(8), cmsg_type: i32(12) });

/** struct sockaddr_in. Port in host order (stored big-endian); address as 4 bytes in network order. */
export interface SockaddrIn {
  sin_family: number;
  sin_port: number;
  sin_addr: Uint8Array;
}
export const SockaddrIn = struct<SockaddrIn>('struct sockaddr_in', 16, {
  sin_family: u16(0),
  sin_port: u16be(2),
  sin_addr: bytes(4, 4),
});

/** struct sockaddr_in6. Port and flow info in host order (stored big-endian). */
export interface SockaddrIn6 {
  sin6_family: number;
  sin6_port: number;
  sin6_flowinfo: number;
  sin6_addr: Uint8Array;
  sin6_scope_id: number;
}
export const SockaddrIn6 = struct<SockaddrIn6>('struct sockaddr_in6', 28, {
  sin6_family: u16(0),
  sin6_port: u16be(2),
  sin6_flowinfo: u32be(4),
  sin6_addr: bytes(8, 16),
  sin6_scope_id: u32(24),
});

/**
 * struct sockaddr_un. `sun_path` is raw bytes: abstract names start with a
 * NUL, and the meaningful length comes from the caller's addrlen.
 */
export interface SockaddrUn {
  sun_family: number;
  sun_path: Uint8Array;
}
export const SockaddrUn = struct<SockaddrUn>('struct sockaddr_un', 110, { sun_family: u16(0), sun_path: bytes(2, 108) });

/** struct sockaddr_nl (netlink). */
export interface SockaddrNl {
  nl_family: number;
  nl_pid: number;
  nl_groups: number;
}
export const SockaddrNl = struct<SockaddrNl>('struct sockaddr_nl', 12, { nl_family: u16(0), nl_pid: u32(4), nl_groups: u32(8) });

/** struct ucred (SO_PEERCRED, SCM_CREDENTIALS). */
export interface Ucred {
  pid: number;
  uid: number;
  gid: number;
}
export const Ucred = struct<Ucred>('struct ucred', 12, { pid: i32(0), uid: u32(4), gid: u32(8) });

/** struct linger (SO_LINGER). */
export interface Linger {
  l_onoff: number;
  l_linger: number;
}
export const Linger = struct<Linger>('struct linger', 8, { l_onoff: i32(0), l_linger: i32(4) });
