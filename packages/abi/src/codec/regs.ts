import { bytes, u16, u32, u64n } from './fields.js';
import { struct } from './struct.js';

/** struct user_regs_struct (PTRACE_GETREGS/SETREGS, NT_PRSTATUS); registers exact as bigint. */
export interface UserRegs {
  r15: bigint;
  r14: bigint;
  r13: bigint;
  r12: bigint;
  rbp: bigint;
  rbx: bigint;
  r11: bigint;
  r10: bigint;
  r9: bigint;
  r8: bigint;
  rax: bigint;
  rcx: bigint;
  rdx: bigint;
  rsi: bigint;
  rdi: bigint;
  orig_rax: bigint;
  rip: bigint;
  cs: bigint;
  eflags: bigint;
  rsp: bigint;
  ss: bigint;
  fs_base: bigint;
  gs_base: bigint;
  ds: bigint;
  es: bigint;
  fs: bigint;
  gs: bigint;
}
export const UserRegs = struct<UserRegs>('struct user_regs_struct', 216, {
  r15: u64n(0),
  r14: u64n(8),
  r13: u64n(16),
  r12: u64n(24),
  rbp: u64n(32),
  rbx: u64n(40),
  r11: u64n(48),
  r10: u64n(56),
  r9: u64n(64),
  r8: u64n(72),
  rax: u64n(80),
  rcx: u64n(88),
  rdx: u64n(96),
  rsi: u64n(104),
  rdi: u64n(112),
  orig_rax: u64n(120),
  rip: u64n(128),
  cs: u64n(136),
  eflags: u64n(144),
  rsp: u64n(152),
  ss: u64n(160),
  fs_base: u64n(168),
  gs_base: u64n(176),
  ds: u64n(184),
  es: u64n(192),
  fs: u64n(200),
  gs: u64n(208),
});

/** struct user_fpregs_struct (PTRACE_GETFPREGS/SETFPREGS, NT_PRFPREG): the FXSAVE image. */
export interface UserFpregs {
  cwd: number;
  swd: number;
  ftw: number;
  fop: number;
  rip: bigint;
  rdp: bigint;
  mxcsr: number;
  mxcr_mask: number;
  st_space: Uint8Array;
  xmm_space: Uint8Array;
}
export const UserFpregs = struct<UserFpregs>('struct user_fpregs_struct', 512, {
  cwd: u16(0),
  swd: u16(2),
  ftw: u16(4),
  fop: u16(6),
  rip: u64n(8),
  rdp: u64n(16),
  mxcsr: u32(24),
  mxcr_mask: u32(28),
  st_space: bytes(32, 128),
  xmm_space: bytes(160, 256),
});
