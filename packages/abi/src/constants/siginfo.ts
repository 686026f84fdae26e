/** Generic si_code values (who sent the signal). */
export const SI = {
  USER: 0,
  KERNEL: 0x80,
  QUEUE: -1,
  TIMER: -2,
  MESGQ: -3,
  ASYNCIO: -4,
  SIGIO: -5,
  TKILL: -6,
  DETHREAD: -7,
  ASYNCNL: -60,
} as const;

/** SIGCHLD si_code values. */
export const CLD = { EXITED: 1, KILLED: 2, DUMPED: 3, TRAPPED: 4, STOPPED: 5, CONTINUED: 6 } as const;

/** SIGSEGV si_code values. */
export const SEGV = { MAPERR: 1, ACCERR: 2, BNDERR: 3, PKUERR: 4, ACCADI: 5, ADIDERR: 6, ADIPERR: 7, MTEAERR: 8, MTESERR: 9 } as const;

/** SIGBUS si_code values. */
export const BUS = { ADRALN: 1, ADRERR: 2, OBJERR: 3, MCEERR_AR: 4, MCEERR_AO: 5 } as const;

/** SIGTRAP si_code values. */
export const TRAP = { BRKPT: 1, TRACE: 2, BRANCH: 3, HWBKPT: 4, UNK: 5, PERF: 6 } as const;

/** SIGILL si_code values. */
export const ILL = { ILLOPC: 1, ILLOPN: 2, ILLADR: 3, ILLTRP: 4, PRVOPC: 5, PRVREG: 6, COPROC: 7, BADSTK: 8, BADIADDR: 9 } as const;

/** SIGFPE si_code values. */
export const FPE = { INTDIV: 1, INTOVF: 2, FLTDIV: 3, FLTOVF: 4, FLTUND: 5, FLTRES: 6, FLTINV: 7, FLTSUB: 8, FLTUNK: 14, CONDTRAP: 15 } as const;

/** SIGPOLL/SIGIO si_code values (POLL_IN -> POLL_CODE.IN; POLL is the event group). */
export const POLL_CODE = { IN: 1, OUT: 2, MSG: 3, ERR: 4, PRI: 5, HUP: 6 } as const;

/** SIGSYS si_code for a seccomp SECCOMP_RET_TRAP. */
export const SYS_SECCOMP = 1;

/** ucontext uc_flags bits. */
export const UC = { FP_XSTATE: 0x1, SIGCONTEXT_SS: 0x2, STRICT_RESTORE_SS: 0x4 } as const;

/** Magic numbers marking an XSAVE area in a signal frame (FP_XSTATE_MAGIC1/2). */
export const FP_XSTATE = { MAGIC1: 0x46505853, MAGIC2: 0x46505845 } as const;

/** Number of signal-specific si_code values per signal (NSIGILL...). */
export const NSIGCODE = { ILL: 11, FPE: 15, SEGV: 9, BUS: 5, TRAP: 6, CHLD: 6, POLL: 6, SYS: 2 } as const;
