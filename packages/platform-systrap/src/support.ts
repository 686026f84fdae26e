import { readFileSync } from 'node:fs';

/** Whether this host can run the systrap platform, and why not. */
export interface SystrapSupport {
  readonly supported: boolean;
  /** One line: what was found (for `runsc help platforms`). */
  readonly reason: string;
}

/**
 * Checks what systrap needs from the host: x86-64 Linux with seccomp
 * filters (SECCOMP_RET_TRAP and the instruction-pointer check), which
 * /proc/self/status shows as a Seccomp_filters line. Shared futexes on a
 * memfd mapping and PTRACE_DETACH are in every kernel that has those.
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
  return { supported: true, reason: 'the host kernel has seccomp filters (SECCOMP_RET_TRAP)' };
}
