import { i32, u16, u32, u8 } from './fields.js';
import { struct } from './struct.js';

/** struct nlmsghdr: the header in front of every netlink message. */
export interface Nlmsghdr {
  nlmsg_len: number;
  nlmsg_type: number;
  nlmsg_flags: number;
  nlmsg_seq: number;
  nlmsg_pid: number;
}
export const Nlmsghdr = struct<Nlmsghdr>('struct nlmsghdr', 16, {
  nlmsg_len: u32(0),
  nlmsg_type: u16(4),
  nlmsg_flags: u16(6),
  nlmsg_seq: u32(8),
  nlmsg_pid: u32(12),
});

/** struct nlmsgerr's first field (the negative errno, 0 for an ACK); the offending header follows it. */
export interface NlmsgerrHead {
  error: number;
}
export const NlmsgerrHead = struct<NlmsgerrHead>('struct nlmsgerr', 20, { error: i32(0) });

/** struct rtattr: an attribute's length (header included) and type. */
export interface Rtattr {
  rta_len: number;
  rta_type: number;
}
export const Rtattr = struct<Rtattr>('struct rtattr', 4, { rta_len: u16(0), rta_type: u16(2) });

/** struct ifinfomsg (RTM_*LINK). */
export interface Ifinfomsg {
  ifi_family: number;
  ifi_type: number;
  ifi_index: number;
  ifi_flags: number;
  ifi_change: number;
}
export const Ifinfomsg = struct<Ifinfomsg>('struct ifinfomsg', 16, {
  ifi_family: u8(0),
  ifi_type: u16(2),
  ifi_index: i32(4),
  ifi_flags: u32(8),
  ifi_change: u32(12),
});

/** struct ifaddrmsg (RTM_*ADDR). */
export interface Ifaddrmsg {
  ifa_family: number;
  ifa_prefixlen: number;
  ifa_flags: number;
  ifa_scope: number;
  ifa_index: number;
}
export const Ifaddrmsg = struct<Ifaddrmsg>('struct ifaddrmsg', 8, {
  ifa_family: u8(0),
  ifa_prefixlen: u8(1),
  ifa_flags: u8(2),
  ifa_scope: u8(3),
  ifa_index: u32(4),
});

/** struct rtmsg (RTM_*ROUTE). */
export interface Rtmsg {
  rtm_family: number;
  rtm_dst_len: number;
  rtm_src_len: number;
  rtm_tos: number;
  rtm_table: number;
  rtm_protocol: number;
  rtm_scope: number;
  rtm_type: number;
  rtm_flags: number;
}
export const Rtmsg = struct<Rtmsg>('struct rtmsg', 12, {
  rtm_family: u8(0),
  rtm_dst_len: u8(1),
  rtm_src_len: u8(2),
  rtm_tos: u8(3),
  rtm_table: u8(4),
  rtm_protocol: u8(5),
  rtm_scope: u8(6),
  rtm_type: u8(7),
  rtm_flags: u32(8),
});

/** struct ndmsg (RTM_*NEIGH). */
export interface Ndmsg {
  ndm_family: number;
  ndm_ifindex: number;
  ndm_state: number;
  ndm_flags: number;
  ndm_type: number;
}
export const Ndmsg = struct<Ndmsg>('struct ndmsg', 12, {
  ndm_family: u8(0),
  ndm_ifindex: i32(4),
  ndm_state: u16(8),
  ndm_flags: u8(10),
  ndm_type: u8(11),
});
