import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { SECCOMP_RET } from '@tvisor/abi';
import { pidfdGetfdAvailable, seccompActionAvailable } from './native/notify.js';

/** Whether this host can run the systrap platform, and why not. */
export interface SystrapSupport {
  readonly supported: boolean;
  /** One line: what was found (for `runsc help platforms`). */
  readonly reason: string;
}

/**
 * Checks what systrap needs from the host: x86-64 Linux with seccomp
 * filters (a Seccomp_filters line in /proc/self/status), the filter returns
 * SECCOMP_RET_TRAP (application syscalls) and SECCOMP_RET_USER_NOTIF (the
 * stub's mmaps, held for the sentry), and pidfd_getfd to take the listener
 * (Linux 5.6), and SECCOMP_ADDFD_FLAG_SEND (Linux 5.14: a batch's window
 * fd; seccomp offers no probe for it short of a held syscall, so the
 * kernel's version stands in). Shared futexes on a memfd mapping, USER_NOTIF's CONTINUE
 * (5.5) and PTRACE_DETACH are in every kernel that has those.
 */
export function systrapSupport(): SystrapSupport {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return { supported: false, reason: `systrap needs x86-64 Linux (this is ${process.platform}/${process.arch})` };
  let status: string;
  try {
    status = readFileSync('/proc/self/status', 'latin1');
  } catch {
    return { supported: false, reason: 'systrap: /proc/self/status is unreadable' };
  }
  if (!/^Seccomp_filters:/m.test(status)) return { supported: false, reason: 'the host kernel has no seccomp filters (CONFIG_SECCOMP_FILTER)' };
  if (!seccompActionAvailable(SECCOMP_RET.TRAP)) return { supported: false, reason: 'the host kernel has no SECCOMP_RET_TRAP' };
  if (!seccompActionAvailable(SECCOMP_RET.USER_NOTIF)) return { supported: false, reason: 'the host kernel has no SECCOMP_RET_USER_NOTIF (Linux 5.0)' };
  if (!pidfdGetfdAvailable()) return { supported: false, reason: 'the host kernel has no pidfd_getfd (Linux 5.6)' };
  const [major, minor] = release()
    .split('.')
    .map((x) => parseInt(x, 10));
  if (!(major > 5 || (major === 5 && minor >= 14)))
    return { supported: false, reason: `the host kernel (${release()}) predates SECCOMP_ADDFD_FLAG_SEND (Linux 5.14)` };
  return {
    supported: true,
    reason: 'the host kernel has seccomp filters with SECCOMP_RET_TRAP and SECCOMP_RET_USER_NOTIF (with ADDFD_FLAG_SEND), and pidfd_getfd',
  };
}
