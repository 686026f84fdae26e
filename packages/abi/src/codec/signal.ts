import { bytes, i32, i64, nested, u16, u32, u64, u64n } from './fields.js';
import { scalar, struct } from './struct.js';

/** Kernel sigset_t on x86-64: bit (sig - 1) set means signal `sig` is in the set. */
export const SigSet = scalar<bigint>('sigset_t', u64n(0));

/** The kernel's struct sigaction as rt_sigaction(2) takes it (not glibc's). */
export interface Sigaction {
  sa_handler: number;
  sa_flags: number;
  sa_restorer: number;
  sa_mask: bigint;
}
export const Sigaction = struct<Sigaction>('struct sigaction', 32, {
  sa_handler: u64(0),
  sa_flags: u64(8),
  sa_restorer: u64(16),
  sa_mask: u64n(24),
});

/** stack_t (sigaltstack(2), ucontext.uc_stack). */
export interface Stack {
  ss_sp: number;
  ss_flags: number;
  ss_size: number;
}
export const Stack = struct<Stack>('stack_t', 24, { ss_sp: u64(0), ss_flags: i32(8), ss_size: u64(16) });

/** Size of siginfo_t. */
export const SIGINFO_SIZE = 128;

/** Fields every siginfo_t starts with. */
export interface SiginfoHead {
  si_signo: number;
  si_errno: number;
  si_code: number;
}

/** siginfo_t for kill(2)/tkill(2) and SI_USER/SI_TKILL senders. */
export interface SiginfoKill extends SiginfoHead {
  si_pid: number;
  si_uid: number;
}
export const SiginfoKill = struct<SiginfoKill>('siginfo_t', 128, {
  si_signo: i32(0),
  si_errno: i32(4),
  si_code: i32(8),
  si_pid: i32(16),
  si_uid: u32(20),
});

/** siginfo_t for rt_sigqueueinfo(2) and other negative si_code senders (SI_QUEUE, SI_MESGQ...). */
export interface SiginfoRt extends SiginfoHead {
  si_pid: number;
  si_uid: number;
  /** union sigval, kept as the raw 64 bits. */
  si_value: bigint;
}
export const SiginfoRt = struct<SiginfoRt>('siginfo_t', 128, {
  si_signo: i32(0),
  si_errno: i32(4),
  si_code: i32(8),
  si_pid: i32(16),
  si_uid: u32(20),
  si_value: u64n(24),
});

/** siginfo_t for POSIX timer expiry (SI_TIMER). */
export interface SiginfoTimer extends SiginfoHead {
  si_timerid: number;
  si_overrun: number;
  si_value: bigint;
}
export const SiginfoTimer = struct<SiginfoTimer>('siginfo_t', 128, {
  si_signo: i32(0),
  si_errno: i32(4),
  si_code: i32(8),
  si_timerid: i32(16, 'si_tid'),
  si_overrun: i32(20),
  si_value: u64n(24),
});

/** siginfo_t for SIGCHLD (and waitid(2)). Times are in clock ticks. */
export interface SiginfoChld extends SiginfoHead {
  si_pid: number;
  si_uid: number;
  si_status: number;
  si_utime: number;
  si_stime: number;
}
export const SiginfoChld = struct<SiginfoChld>('siginfo_t', 128, {
  si_signo: i32(0),
  si_errno: i32(4),
  si_code: i32(8),
  si_pid: i32(16),
  si_uid: u32(20),
  si_status: i32(24),
  si_utime: i64(32),
  si_stime: i64(40),
});

/** siginfo_t for faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP). */
export interface SiginfoFault extends SiginfoHead {
  si_addr: number;
}
export const SiginfoFault = struct<SiginfoFault>('siginfo_t', 128, {
  si_signo: i32(0),
  si_errno: i32(4),
  si_code: i32(8),
  si_addr: u64(16),
});

/** siginfo_t for SIGSYS raised by seccomp (SYS_SECCOMP). */
export interface SiginfoSys extends SiginfoHead {
  si_call_addr: number;
  si_syscall: number;
  si_arch: number;
}
export const SiginfoSys = struct<SiginfoSys>('siginfo_t', 128, {
  si_signo: i32(0),
  si_errno: i32(4),
  si_code: i32(8),
  si_call_addr: u64(16),
  si_syscall: i32(24),
  si_arch: u32(28),
});

/** siginfo_t for SIGIO/SIGPOLL. */
export interface SiginfoPoll extends SiginfoHead {
  si_band: number;
  si_fd: number;
}
export const SiginfoPoll = struct<SiginfoPoll>('siginfo_t', 128, {
  si_signo: i32(0),
  si_errno: i32(4),
  si_code: i32(8),
  si_band: i64(16),
  si_fd: i32(24),
});

/** How a sigevent notifies (sigev_notify). */
export const SIGEV = { SIGNAL: 0, NONE: 1, THREAD: 2, THREAD_ID: 4 } as const;

/** struct sigevent (timer_create(2), mq_notify(2)) for SIGEV.SIGNAL/NONE/THREAD_ID. */
export interface Sigevent {
  sigev_value: bigint;
  sigev_signo: number;
  sigev_notify: number;
  /** Target thread for SIGEV.THREAD_ID. */
  sigev_notify_thread_id: number;
}
export const Sigevent = struct<Sigevent>('struct sigevent', 64, {
  sigev_value: u64n(0),
  sigev_signo: i32(8),
  sigev_notify: i32(12),
  sigev_notify_thread_id: i32(16),
});

/** The software-reserved bytes of the FXSAVE area, describing the XSAVE extension (struct _fpx_sw_bytes). */
export interface FpxSwBytes {
  magic1: number;
  extended_size: number;
  xfeatures: bigint;
  xstate_size: number;
}
export const FpxSwBytes = struct<FpxSwBytes>('struct _fpx_sw_bytes', 48, {
  magic1: u32(0),
  extended_size: u32(4),
  xfeatures: u64n(8),
  xstate_size: u32(16),
});

/** The 512-byte FXSAVE image in a signal frame (struct _fpstate_64). */
export interface Fpstate {
  cwd: number;
  swd: number;
  twd: number;
  fop: number;
  rip: number;
  rdp: number;
  mxcsr: number;
  mxcsr_mask: number;
  st_space: Uint8Array;
  xmm_space: Uint8Array;
  sw_reserved: FpxSwBytes;
}
export const Fpstate = struct<Fpstate>('struct _fpstate_64', 512, {
  cwd: u16(0),
  swd: u16(2),
  twd: u16(4),
  fop: u16(6),
  rip: u64(8),
  rdp: u64(16),
  mxcsr: u32(24),
  mxcsr_mask: u32(28),
  st_space: bytes(32, 128),
  xmm_space: bytes(160, 256),
  sw_reserved: nested(464, FpxSwBytes),
});

/** The XSAVE header that follows the FXSAVE image (struct _header). */
export interface XstateHeader {
  xfeatures: bigint;
}
export const XstateHeader = struct<XstateHeader>('struct _header', 64, { xfeatures: u64n(0) });

/** Machine context of a signal frame (struct sigcontext, x86-64); registers exact as bigint. */
export interface Sigcontext {
  r8: bigint;
  r9: bigint;
  r10: bigint;
  r11: bigint;
  r12: bigint;
  r13: bigint;
  r14: bigint;
  r15: bigint;
  rdi: bigint;
  rsi: bigint;
  rbp: bigint;
  rbx: bigint;
  rdx: bigint;
  rax: bigint;
  rcx: bigint;
  rsp: bigint;
  rip: bigint;
  eflags: bigint;
  cs: number;
  gs: number;
  fs: number;
  ss: number;
  err: bigint;
  trapno: bigint;
  oldmask: bigint;
  cr2: bigint;
  /** User address of the Fpstate/xstate area, 0 if none. */
  fpstate: number;
}
export const Sigcontext = struct<Sigcontext>('struct sigcontext', 256, {
  r8: u64n(0),
  r9: u64n(8),
  r10: u64n(16),
  r11: u64n(24),
  r12: u64n(32),
  r13: u64n(40),
  r14: u64n(48),
  r15: u64n(56),
  rdi: u64n(64),
  rsi: u64n(72),
  rbp: u64n(80),
  rbx: u64n(88),
  rdx: u64n(96),
  rax: u64n(104),
  rcx: u64n(112),
  rsp: u64n(120),
  rip: u64n(128),
  eflags: u64n(136),
  cs: u16(144),
  gs: u16(146),
  fs: u16(148),
  ss: u16(150),
  err: u64n(152),
  trapno: u64n(160),
  oldmask: u64n(168),
  cr2: u64n(176),
  fpstate: u64(184),
});

/** struct ucontext as the kernel builds it in a signal frame. */
export interface Ucontext {
  uc_flags: number;
  uc_link: number;
  uc_stack: Stack;
  uc_mcontext: Sigcontext;
  uc_sigmask: bigint;
}
export const Ucontext = struct<Ucontext>('struct ucontext', 304, {
  uc_flags: u64(0),
  uc_link: u64(8),
  uc_stack: nested(16, Stack),
  uc_mcontext: nested(40, Sigcontext),
  uc_sigmask: u64n(296),
});

/**
 * The x86-64 rt signal frame at the handler's rsp (the kernel's
 * struct rt_sigframe, arch/x86/include/asm/sigframe.h): return address, then
 * ucontext, then siginfo. `info` holds the 128 siginfo bytes; encode one of the
 * Siginfo* codecs into it. The FP/xstate area follows the frame, 64-byte aligned,
 * and is pointed to by uc.uc_mcontext.fpstate.
 */
export interface RtSigframe {
  pretcode: number;
  uc: Ucontext;
  info: Uint8Array;
}
export const RtSigframe = struct<RtSigframe>('struct rt_sigframe', 440, {
  pretcode: u64(0),
  uc: nested(8, Ucontext),
  info: bytes(312, 128),
});
