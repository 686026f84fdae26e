import { ERRNO_TEXTS, ERRNO_VALUES } from './generated/errno.js';

/**
 * Kernel-internal "restart" codes (include/linux/errno.h in the kernel
 * sources). They are not in the userspace headers, so they are the one set of
 * numbers here not checked against a host header: a syscall handler returns
 * them to ask for the call to be restarted after a signal, and they must never
 * reach a user program.
 */
export const KERNEL_ERRNO = {
  ERESTARTSYS: 512,
  ERESTARTNOINTR: 513,
  ERESTARTNOHAND: 514,
  ENOIOCTLCMD: 515,
  ERESTART_RESTARTBLOCK: 516,
} as const;

/** Every errno value by name: userspace ones (generated) plus the kernel restart codes. */
export const Errno = { ...ERRNO_VALUES, ...KERNEL_ERRNO } as const;

/** An errno name, e.g. `'ENOENT'`. */
export type ErrnoName = keyof typeof Errno;

function buildNames(): ReadonlyMap<number, string> {
  const names = new Map<number, string>();
  // First name wins, so EAGAIN beats its alias EWOULDBLOCK (header order).
  for (const [name, value] of Object.entries(Errno)) if (!names.has(value)) names.set(value, name);
  return names;
}
const NAMES = buildNames();

/** Symbolic name of errno `n` (positive), e.g. 2 -> 'ENOENT'; `E<n>` when unknown. */
export function errnoName(n: number): string {
  return NAMES.get(n) ?? `E${n}`;
}

/** glibc's strerror() text for errno `n`, e.g. 2 -> 'No such file or directory'. */
export function strerror(n: number): string {
  return ERRNO_TEXTS.get(n) ?? `Unknown error ${n}`;
}

/**
 * A failed system call: the error a sentry syscall handler throws and the
 * dispatcher turns into `-errno` in the caller's rax.
 */
export class SysError extends Error {
  /** Positive errno value, e.g. 2 for ENOENT. */
  readonly errno: number;

  constructor(errno: number, detail?: string) {
    super(detail === undefined ? `${errnoName(errno)}: ${strerror(errno)}` : `${errnoName(errno)}: ${detail}`);
    this.name = 'SysError';
    this.errno = errno;
  }
}
