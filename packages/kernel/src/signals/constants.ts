/**
 * x86-64 constants of signal delivery that @tvisor/abi does not export. Each
 * is checked against the host headers or observed kernel behaviour by
 * constants.test.ts.
 */

/** RFLAGS bits touched by signal delivery and rt_sigreturn. */
export const EFLAGS = {
  CF: 0x1,
  PF: 0x4,
  AF: 0x10,
  ZF: 0x40,
  SF: 0x80,
  TF: 0x100,
  IF: 0x200,
  DF: 0x400,
  OF: 0x800,
  RF: 0x10000,
  AC: 0x40000,
} as const;

/**
 * The RFLAGS bits rt_sigreturn takes from the frame (Linux's FIX_EFLAGS on
 * 64-bit): the arithmetic flags, TF, DF, AC and RF. Every other bit keeps the
 * value the thread had when it called rt_sigreturn.
 */
export const FIX_EFLAGS = EFLAGS.AC | EFLAGS.OF | EFLAGS.DF | EFLAGS.TF | EFLAGS.SF | EFLAGS.ZF | EFLAGS.AF | EFLAGS.PF | EFLAGS.CF | EFLAGS.RF;

/** Bits cleared from RFLAGS when a handler is entered (DF per the ABI; RF and TF so the handler is not single-stepped). */
export const HANDLER_CLEARED_EFLAGS = EFLAGS.DF | EFLAGS.RF | EFLAGS.TF;

/** 64-bit user code segment selector (__USER_CS). */
export const USER_CS = 0x33;
/** User data/stack segment selector (__USER_DS). */
export const USER_DS = 0x2b;
/** Requested privilege level bits of a selector; user selectors have RPL 3. */
export const SELECTOR_RPL3 = 0x3;

/** Bytes below rsp that leaf functions may use without moving rsp (System V x86-64 ABI red zone). */
export const RED_ZONE_SIZE = 128;
/** Stack alignment Linux gives the frame before subtracting the return-address slot. */
export const FRAME_ALIGNMENT = 16;
/** Alignment of the XSAVE area in a frame (XSAVE/XRSTOR need 64). */
export const XSAVE_ALIGNMENT = 64;
/** Alignment FXSAVE/FXRSTOR need for a 512-byte legacy area. */
export const FXSAVE_ALIGNMENT = 16;

/** Size of the legacy FXSAVE region (struct _fpstate_64 / user_fpregs_struct). */
export const FXSAVE_SIZE = 512;
/** Size of the XSAVE header following the legacy region. */
export const XSAVE_HEADER_SIZE = 64;
/** Offset of the software-reserved bytes (struct _fpx_sw_bytes) inside the legacy region. */
export const FX_SW_BYTES_OFFSET = 464;
/** Offset of MXCSR and MXCSR_MASK in the legacy region. */
export const MXCSR_OFFSET = 24;
export const MXCSR_MASK_OFFSET = 28;
/** Size of the FP_XSTATE_MAGIC2 word after the XSAVE area. */
export const FP_XSTATE_MAGIC2_SIZE = 4;

/** MINSIGSTKSZ: the smallest sigaltstack size sigaltstack(2) accepts. */
export const MINSIGSTKSZ = 2048;

/** XSAVE state-component bits of XCR0 / XSTATE_BV. */
export const XFEATURE = {
  FP: 1n << 0n,
  SSE: 1n << 1n,
  YMM: 1n << 2n,
  BNDREGS: 1n << 3n,
  BNDCSR: 1n << 4n,
  OPMASK: 1n << 5n,
  ZMM_HI256: 1n << 6n,
  HI16_ZMM: 1n << 7n,
  PKRU: 1n << 9n,
  XTILE_CFG: 1n << 17n,
  XTILE_DATA: 1n << 18n,
  APX: 1n << 19n,
} as const;
export const XFEATURE_FPSSE = XFEATURE.FP | XFEATURE.SSE;

/** Where a state component lives in a standard-format XSAVE image, by XCR0 bit: [offset, size] (CPUID leaf 0xD, sub-leaf = bit: ebx, eax). */
export type XsaveComponents = ReadonlyMap<bigint, readonly [offset: number, size: number]>;

/**
 * The standard-format component offsets of Intel parts: a fallback for
 * layouts built without asking the CPU (unit tests, xsaveLayout's default).
 * Other CPUs differ (AMD has no MPX and puts opmask at 832, ZMM_Hi256 at
 * 896, Hi16_ZMM at 1408), so frames for the host always use CPUID leaf 0xD
 * (fpu.ts hostXsaveComponents). The legacy FP/SSE components share the first
 * 512 bytes. APX reuses the space of the retired MPX components.
 */
export const XSAVE_INTEL_LAYOUT: XsaveComponents = new Map([
  [XFEATURE.YMM, [576, 256]],
  [XFEATURE.BNDREGS, [960, 64]],
  [XFEATURE.BNDCSR, [1024, 64]],
  [XFEATURE.OPMASK, [1088, 64]],
  [XFEATURE.ZMM_HI256, [1152, 512]],
  [XFEATURE.HI16_ZMM, [1664, 1024]],
  [XFEATURE.PKRU, [2688, 8]],
  [XFEATURE.XTILE_CFG, [2752, 64]],
  [XFEATURE.XTILE_DATA, [2816, 8192]],
  [XFEATURE.APX, [960, 128]],
]);

/** Features Linux leaves out of signal frames until a process asks for them (arch_prctl ARCH_REQ_XCOMP_PERM): AMX tile data. */
export const XFEATURE_DYNAMIC = XFEATURE.XTILE_DATA;

/** Initial x87 control word and MXCSR of a fresh FPU state (what a handler starts with). */
export const FCW_INIT = 0x37f;
export const MXCSR_INIT = 0x1f80;
/** MXCSR bits a CPU without DAZ would accept; the usual MXCSR_MASK is 0xffff. */
export const MXCSR_DEFAULT_MASK = 0xffff;

/** The value orig_rax gets so the return to user mode is not treated as a syscall to restart. */
export const NO_SYSCALL = -1n;

/** Length of the `syscall` instruction: a restart moves rip back by this much. */
export const SYSCALL_INSN_SIZE = 2;
