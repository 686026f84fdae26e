import { bigints, i32, i64n, nested, u16, u32, u64, u64n, u8 } from './fields.js';
import { struct } from './struct.js';

/** struct seccomp_data: what a seccomp BPF filter sees (arguments exact as bigint). */
export interface SeccompData {
  nr: number;
  arch: number;
  instruction_pointer: number;
  args: bigint[];
}
export const SeccompData = struct<SeccompData>('struct seccomp_data', 64, {
  nr: i32(0),
  arch: u32(4),
  instruction_pointer: u64(8),
  args: bigints(16, false, 6),
});

/** struct sock_filter: one classic BPF instruction. */
export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}
export const SockFilter = struct<SockFilter>('struct sock_filter', 8, { code: u16(0), jt: u8(2), jf: u8(3), k: u32(4) });

/** struct sock_fprog: a BPF program (instruction count and user address). */
export interface SockFprog {
  len: number;
  filter: number;
}
export const SockFprog = struct<SockFprog>('struct sock_fprog', 16, { len: u16(0), filter: u64(8) });

/** struct seccomp_notif: one syscall a SECCOMP_RET_USER_NOTIF filter holds for its listener (id, the caller's tid, its seccomp_data). */
export interface SeccompNotif {
  id: bigint;
  pid: number;
  flags: number;
  data: SeccompData;
}
export const SeccompNotif = struct<SeccompNotif>('struct seccomp_notif', 80, {
  id: u64n(0),
  pid: u32(8),
  flags: u32(12),
  data: nested(16, SeccompData),
});

/** struct seccomp_notif_resp: the listener's answer (a value or an errno, or CONTINUE). */
export interface SeccompNotifResp {
  id: bigint;
  val: bigint;
  error: number;
  flags: number;
}
export const SeccompNotifResp = struct<SeccompNotifResp>('struct seccomp_notif_resp', 24, { id: u64n(0), val: i64n(8), error: i32(16), flags: u32(20) });

/** struct seccomp_notif_addfd: the listener installs one of its fds in the caller (at newfd with SETFD; SEND makes it the held syscall's return value). */
export interface SeccompNotifAddfd {
  id: bigint;
  flags: number;
  srcfd: number;
  newfd: number;
  newfd_flags: number;
}
export const SeccompNotifAddfd = struct<SeccompNotifAddfd>('struct seccomp_notif_addfd', 24, {
  id: u64n(0),
  flags: u32(8),
  srcfd: u32(12),
  newfd: u32(16),
  newfd_flags: u32(20),
});
