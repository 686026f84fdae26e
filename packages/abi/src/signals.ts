/** Signal numbers (x86-64, kernel view: SIGRTMIN is 32, not glibc's 34). */
export const Signal = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
  SIGRTMIN: 32,
  SIGRTMAX: 64,
} as const;

/** A signal name, e.g. `'SIGKILL'`. */
export type SignalName = keyof typeof Signal;

/** Number of signals (signals are 1.._NSIG). */
export const NSIG = 64;

/** What a signal does when its disposition is SIG_DFL (signal(7)). */
export type SignalDefaultAction = 'terminate' | 'core' | 'stop' | 'continue' | 'ignore';

const CORE = new Set<number>([3, 4, 5, 6, 7, 8, 11, 24, 25, 31]);
const STOP = new Set<number>([19, 20, 21, 22]);
const IGNORE = new Set<number>([17, 23, 28]);

/** Default action of signal `sig` (1..64) per signal(7); real-time signals terminate. */
export function signalDefaultAction(sig: number): SignalDefaultAction {
  if (CORE.has(sig)) return 'core';
  if (STOP.has(sig)) return 'stop';
  if (IGNORE.has(sig)) return 'ignore';
  if (sig === Signal.SIGCONT) return 'continue';
  return 'terminate';
}

/** Minimum and suggested sizes of an alternate signal stack. */
export const MINSIGSTKSZ = 2048;
export const SIGSTKSZ = 8192;

/** Special handler values of sigaction's sa_handler. */
export const SIG = { DFL: 0, IGN: 1, ERR: -1 } as const;

/** rt_sigprocmask `how` values. */
export const SIG_HOW = { BLOCK: 0, UNBLOCK: 1, SETMASK: 2 } as const;

/** sigaction sa_flags. */
export const SA = {
  NOCLDSTOP: 0x1,
  NOCLDWAIT: 0x2,
  SIGINFO: 0x4,
  UNSUPPORTED: 0x400,
  EXPOSE_TAGBITS: 0x800,
  RESTORER: 0x04000000,
  ONSTACK: 0x08000000,
  RESTART: 0x10000000,
  NODEFER: 0x40000000,
  RESETHAND: 0x80000000,
} as const;

/** sigaltstack ss_flags. */
export const SS = { ONSTACK: 1, DISABLE: 2, AUTODISARM: 0x80000000 } as const;

/** The bit of signal `sig` in a sigset_t mask. */
export function sigmask(sig: number): bigint {
  return 1n << BigInt(sig - 1);
}

function buildNames(): ReadonlyMap<number, string> {
  const names = new Map<number, string>();
  for (const [name, value] of Object.entries(Signal)) if (!names.has(value)) names.set(value, name);
  return names;
}
const NAMES = buildNames();

/** Name of signal `n`, e.g. 9 -> 'SIGKILL'; real-time ones as 'SIGRTMIN+k'; `SIG<n>` if out of range. */
export function signalName(n: number): string {
  const name = NAMES.get(n);
  if (name !== undefined) return name;
  if (n > Signal.SIGRTMIN && n < Signal.SIGRTMAX) return `SIGRTMIN+${n - Signal.SIGRTMIN}`;
  return `SIG${n}`;
}
