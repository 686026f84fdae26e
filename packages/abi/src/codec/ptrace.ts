import { bigints, i64n, u32, u64, u64n, u8 } from './fields.js';
import { struct } from './struct.js';

/**
 * struct ptrace_syscall_info (PTRACE_GET_SYSCALL_INFO), one codec per `op`
 * (PTRACE_SYSCALL_INFO.ENTRY/EXIT/SECCOMP): the union after the common head
 * is read according to `op`. Syscall numbers, arguments and return values are
 * bigint because a program may pass any 64-bit value.
 */
export interface PtraceSyscallInfoHead {
  op: number;
  arch: number;
  instruction_pointer: number;
  stack_pointer: number;
}

export interface PtraceSyscallInfoEntry extends PtraceSyscallInfoHead {
  nr: bigint;
  args: bigint[];
}
export const PtraceSyscallInfoEntry = struct<PtraceSyscallInfoEntry>('struct ptrace_syscall_info', 88, {
  op: u8(0),
  arch: u32(4),
  instruction_pointer: u64(8),
  stack_pointer: u64(16),
  nr: u64n(24, 'entry.nr'),
  args: bigints(32, false, 6, 'entry.args'),
});

export interface PtraceSyscallInfoExit extends PtraceSyscallInfoHead {
  rval: bigint;
  is_error: number;
}
export const PtraceSyscallInfoExit = struct<PtraceSyscallInfoExit>('struct ptrace_syscall_info', 88, {
  op: u8(0),
  arch: u32(4),
  instruction_pointer: u64(8),
  stack_pointer: u64(16),
  rval: i64n(24, 'exit.rval'),
  is_error: u8(32, 'exit.is_error'),
});

export interface PtraceSyscallInfoSeccomp extends PtraceSyscallInfoHead {
  nr: bigint;
  args: bigint[];
  ret_data: number;
}
export const PtraceSyscallInfoSeccomp = struct<PtraceSyscallInfoSeccomp>('struct ptrace_syscall_info', 88, {
  op: u8(0),
  arch: u32(4),
  instruction_pointer: u64(8),
  stack_pointer: u64(16),
  nr: u64n(24, 'seccomp.nr'),
  args: bigints(32, false, 6, 'seccomp.args'),
  ret_data: u32(80, 'seccomp.ret_data'),
});

/** struct ptrace_rseq_configuration (PTRACE_GET_RSEQ_CONFIGURATION). */
export interface PtraceRseqConfiguration {
  rseq_abi_pointer: number;
  rseq_abi_size: number;
  signature: number;
  flags: number;
}
export const PtraceRseqConfiguration = struct<PtraceRseqConfiguration>('struct ptrace_rseq_configuration', 24, {
  rseq_abi_pointer: u64(0),
  rseq_abi_size: u32(8),
  signature: u32(12),
  flags: u32(16),
});
