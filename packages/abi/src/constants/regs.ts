/**
 * Byte offsets of struct user_regs_struct (PTRACE_GETREGS layout), usable as
 * `addr` of PTRACE_PEEKUSER/POKEUSER because `regs` is at offset 0 of struct
 * user. SIZE is the struct size.
 */
export const USER_REGS = {
  R15: 0,
  R14: 8,
  R13: 16,
  R12: 24,
  RBP: 32,
  RBX: 40,
  R11: 48,
  R10: 56,
  R9: 64,
  R8: 72,
  RAX: 80,
  RCX: 88,
  RDX: 96,
  RSI: 104,
  RDI: 112,
  ORIG_RAX: 120,
  RIP: 128,
  CS: 136,
  EFLAGS: 144,
  RSP: 152,
  SS: 160,
  FS_BASE: 168,
  GS_BASE: 176,
  DS: 184,
  ES: 192,
  FS: 200,
  GS: 208,
  SIZE: 216,
} as const;

/** Byte offsets of struct user_fpregs_struct (PTRACE_GETFPREGS, FXSAVE layout). */
export const USER_FPREGS = {
  CWD: 0,
  SWD: 2,
  FTW: 4,
  FOP: 6,
  RIP: 8,
  RDP: 16,
  MXCSR: 24,
  MXCR_MASK: 28,
  ST_SPACE: 32,
  XMM_SPACE: 160,
  PADDING: 416,
  SIZE: 512,
} as const;

/** Offsets inside struct user (PEEKUSER/POKEUSER address space). */
export const USER = {
  REGS: 0,
  U_FPVALID: 216,
  I387: 224,
  U_DEBUGREG: 848,
  SIZE: 912,
} as const;
