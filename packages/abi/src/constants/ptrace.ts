/**
 * ptrace(2) requests. PEEKUSER/POKEUSER are glibc's spellings of the kernel's
 * PTRACE_PEEKUSR/PTRACE_POKEUSR.
 */
export const PTRACE = {
  TRACEME: 0,
  PEEKTEXT: 1,
  PEEKDATA: 2,
  PEEKUSER: 3,
  POKETEXT: 4,
  POKEDATA: 5,
  POKEUSER: 6,
  CONT: 7,
  KILL: 8,
  SINGLESTEP: 9,
  GETREGS: 12,
  SETREGS: 13,
  GETFPREGS: 14,
  SETFPREGS: 15,
  ATTACH: 16,
  DETACH: 17,
  GETFPXREGS: 18,
  SETFPXREGS: 19,
  SYSCALL: 24,
  GET_THREAD_AREA: 25,
  SET_THREAD_AREA: 26,
  ARCH_PRCTL: 30,
  SYSEMU: 31,
  SYSEMU_SINGLESTEP: 32,
  SINGLEBLOCK: 33,
  SETOPTIONS: 0x4200,
  GETEVENTMSG: 0x4201,
  GETSIGINFO: 0x4202,
  SETSIGINFO: 0x4203,
  GETREGSET: 0x4204,
  SETREGSET: 0x4205,
  SEIZE: 0x4206,
  INTERRUPT: 0x4207,
  LISTEN: 0x4208,
  PEEKSIGINFO: 0x4209,
  GETSIGMASK: 0x420a,
  SETSIGMASK: 0x420b,
  SECCOMP_GET_FILTER: 0x420c,
  SECCOMP_GET_METADATA: 0x420d,
  GET_SYSCALL_INFO: 0x420e,
  GET_RSEQ_CONFIGURATION: 0x420f,
} as const;

/** PTRACE_SETOPTIONS / PTRACE_SEIZE option bits. */
export const PTRACE_O = {
  TRACESYSGOOD: 0x1,
  TRACEFORK: 0x2,
  TRACEVFORK: 0x4,
  TRACECLONE: 0x8,
  TRACEEXEC: 0x10,
  TRACEVFORKDONE: 0x20,
  TRACEEXIT: 0x40,
  TRACESECCOMP: 0x80,
  EXITKILL: 0x100000,
  SUSPEND_SECCOMP: 0x200000,
  MASK: 0x3000ff,
} as const;

/** Event codes found in `status >> 16` of a ptrace-event stop. */
export const PTRACE_EVENT = {
  FORK: 1,
  VFORK: 2,
  CLONE: 3,
  EXEC: 4,
  VFORK_DONE: 5,
  EXIT: 6,
  SECCOMP: 7,
  STOP: 128,
} as const;

/** `op` of struct ptrace_syscall_info (PTRACE_GET_SYSCALL_INFO). */
export const PTRACE_SYSCALL_INFO = { NONE: 0, ENTRY: 1, EXIT: 2, SECCOMP: 3 } as const;

/** ELF note types used as PTRACE_GETREGSET/SETREGSET `addr`. */
export const NT = {
  PRSTATUS: 1,
  PRFPREG: 2,
  PRPSINFO: 3,
  TASKSTRUCT: 4,
  AUXV: 6,
  SIGINFO: 0x53494749,
  FILE: 0x46494c45,
  PRXFPREG: 0x46e62b7f,
  X86_XSTATE: 0x202,
} as const;

/** Register set of general-purpose registers (struct user_regs_struct). */
export const NT_PRSTATUS = NT.PRSTATUS;
/** Register set of x87/SSE state (struct user_fpregs_struct). */
export const NT_PRFPREG = NT.PRFPREG;
/** Register set of the XSAVE area. */
export const NT_X86_XSTATE = NT.X86_XSTATE;
