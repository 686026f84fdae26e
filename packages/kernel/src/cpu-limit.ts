// RLIMIT_CPU (setrlimit(2)): the process's CPU time (user plus system, the
// CPUCLOCK_PROF clock) is watched against its limits. Reaching the soft
// limit sends SIGXCPU and, as Linux does, raises the soft limit by a second,
// so the signal repeats every CPU second; reaching the hard limit kills the
// process with SIGKILL.
import { RLIM_INFINITY, RLIMIT, Signal } from '@tvisor/abi';
import { groupCpu } from './cpu-time.js';
import type { Kernel } from './kernel.js';
import { sendSignal } from './signal-delivery.js';
import { sigInfoKernel } from './signals/index.js';
import type { ThreadGroup } from './task.js';

const NS_PER_SECOND = 1_000_000_000n;

/**
 * (Re)arms `g`'s RLIMIT_CPU watch after its limits changed (setrlimit,
 * prlimit, fork). With `checkNow` (setrlimit from the process itself), a
 * limit already reached acts at once rather than at the next CPU-timer
 * tick: Linux checks at its next tick while the caller still runs, before
 * it can park in a syscall the SIGXCPU would then interrupt.
 */
export function armCpuLimit(kernel: Kernel, g: ThreadGroup, checkNow = false): void {
  g.cpuLimitCancel?.();
  g.cpuLimitCancel = undefined;
  const [soft, hard] = g.rlimits[RLIMIT.CPU];
  if (soft === RLIM_INFINITY && hard === RLIM_INFINITY) return;
  const limitSeconds = soft === RLIM_INFINITY ? hard : hard === RLIM_INFINITY || soft < hard ? soft : hard;
  const read = () => {
    const cpu = groupCpu(g);
    return cpu.user + cpu.system;
  };
  const expire = () => {
    g.cpuLimitCancel = undefined;
    if (g.exitStatus !== undefined) return;
    const [s, h] = g.rlimits[RLIMIT.CPU];
    const used = read();
    if (h !== RLIM_INFINITY && used >= h * NS_PER_SECOND) {
      kernel.killGroup(g, Signal.SIGKILL);
      return;
    }
    if (s !== RLIM_INFINITY && used >= s * NS_PER_SECOND) {
      if (h === RLIM_INFINITY || s < h) g.rlimits[RLIMIT.CPU] = [s + 1n, h];
      sendSignal(kernel, g, Signal.SIGXCPU, sigInfoKernel(Signal.SIGXCPU));
    }
    if (g.exitStatus === undefined) armCpuLimit(kernel, g);
  };
  if (checkNow && read() >= limitSeconds * NS_PER_SECOND) {
    expire();
    return;
  }
  g.cpuLimitCancel = kernel.cpuTimers.add(read, limitSeconds * NS_PER_SECOND, expire);
}
