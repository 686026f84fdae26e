import { i32, i64, u32, u64 } from './fields.js';
import { struct } from './struct.js';

/** struct robust_list_head (set_robust_list(2)); `list` is the address in list.next. */
export interface RobustListHead {
  list: number;
  futex_offset: number;
  list_op_pending: number;
}
export const RobustListHead = struct<RobustListHead>('struct robust_list_head', 24, {
  list: u64(0, 'list.next'),
  futex_offset: i64(8),
  list_op_pending: u64(16),
});

/** struct __user_cap_header_struct (capget/capset). */
export interface CapHeader {
  version: number;
  pid: number;
}
export const CapHeader = struct<CapHeader>('struct __user_cap_header_struct', 8, { version: u32(0), pid: i32(4) });

/** struct __user_cap_data_struct: one 32-bit word of each capability set (v3 uses two). */
export interface CapData {
  effective: number;
  permitted: number;
  inheritable: number;
}
export const CapData = struct<CapData>('struct __user_cap_data_struct', 12, {
  effective: u32(0),
  permitted: u32(4),
  inheritable: u32(8),
});

/** struct rseq (rseq(2)) as registered by the thread; 32 bytes, 32-byte aligned. */
export interface Rseq {
  cpu_id_start: number;
  cpu_id: number;
  rseq_cs: number;
  flags: number;
}
export const Rseq = struct<Rseq>('struct rseq', 32, { cpu_id_start: u32(0), cpu_id: u32(4), rseq_cs: u64(8), flags: u32(16) });

/** struct clone_args (clone3(2)). */
export interface CloneArgs {
  flags: number;
  pidfd: number;
  child_tid: number;
  parent_tid: number;
  exit_signal: number;
  stack: number;
  stack_size: number;
  tls: number;
  set_tid: number;
  set_tid_size: number;
  cgroup: number;
}
export const CloneArgs = struct<CloneArgs>('struct clone_args', 88, {
  flags: u64(0),
  pidfd: u64(8),
  child_tid: u64(16),
  parent_tid: u64(24),
  exit_signal: u64(32),
  stack: u64(40),
  stack_size: u64(48),
  tls: u64(56),
  set_tid: u64(64),
  set_tid_size: u64(72),
  cgroup: u64(80),
});

/** struct open_how (openat2(2)). */
export interface OpenHow {
  flags: number;
  mode: number;
  resolve: number;
}
export const OpenHow = struct<OpenHow>('struct open_how', 24, { flags: u64(0), mode: u64(8), resolve: u64(16) });

/** struct mq_attr (mq_open(2), mq_getsetattr(2)). */
export interface MqAttr {
  mq_flags: number;
  mq_maxmsg: number;
  mq_msgsize: number;
  mq_curmsgs: number;
}
export const MqAttr = struct<MqAttr>('struct mq_attr', 64, {
  mq_flags: i64(0),
  mq_maxmsg: i64(8),
  mq_msgsize: i64(16),
  mq_curmsgs: i64(24),
});
