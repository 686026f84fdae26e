// Interval timers (setitimer): ITIMER_REAL on the monotonic clock, ITIMER_VIRTUAL
// and ITIMER_PROF on the process's CPU time; the alarm/getitimer/setitimer
// handlers are in syscalls/itimer.ts.
import { CLOCK, encodeStruct, ITIMER, Itimerval, Signal } from '@tvisor/abi';
import { clockNow } from './clock.js';
import { groupCpu } from './cpu-time.js';
import { sendSignal } from './signal-delivery.js';
import { sigInfoKernel } from './signals/index.js';
import type { Task } from './task.js';
import { timeval } from './rusage.js';

/** getitimer's value for ITIMER_REAL: the time left and the interval, as a struct itimerval. */
export function itimerValue(t: Task): Uint8Array {
  const out = new Uint8Array(32);
  const v = new DataView(out.buffer);
  const g = t.group;
  const leftNs = g.realTimer ? Math.max(0, g.realTimer.deadline - Number(clockNow(CLOCK.MONOTONIC))) : 0;
  const interval = g.realTimer?.intervalNs ?? 0;
  v.setBigInt64(0, BigInt(Math.floor(interval / 1e9)), true);
  v.setBigInt64(8, BigInt(Math.floor((interval % 1e9) / 1000)), true);
  v.setBigInt64(16, BigInt(Math.floor(leftNs / 1e9)), true);
  v.setBigInt64(24, BigInt(Math.ceil((leftNs % 1e9) / 1000)), true);
  return out;
}

/** ITIMER_REAL: SIGALRM after `valueNs`, then every `intervalNs` (0: once). */
export function armRealTimer(t: Task, valueNs: number, intervalNs: number): void {
  const g = t.group;
  g.realTimer?.cancel();
  g.realTimer = undefined;
  if (valueNs === 0) return;
  const fire = (delayNs: number) => {
    const deadline = Number(clockNow(CLOCK.MONOTONIC)) + delayNs;
    const cancel = t.kernel.setTimer(delayNs / 1e6, () => {
      sendSignal(t.kernel, g, Signal.SIGALRM, sigInfoKernel(Signal.SIGALRM));
      if (intervalNs > 0 && g.exitStatus === undefined) fire(intervalNs);
      else g.realTimer = undefined;
    });
    g.realTimer = { deadline, intervalNs, cancel };
  };
  fire(valueNs);
}

/** The CPU clock an interval timer counts: user time (VIRTUAL) or user plus system (PROF). */
function itimerClock(t: Task, which: number): bigint {
  const cpu = groupCpu(t.group);
  return which === ITIMER.VIRTUAL ? cpu.user : cpu.user + cpu.system;
}

/** getitimer's value for ITIMER_VIRTUAL/PROF: the CPU time left and the interval. */
export function cpuItimerValue(t: Task, which: number): Uint8Array {
  const timer = t.group.cpuItimers.get(which);
  const left = timer ? timer.deadline - itimerClock(t, which) : 0n;
  return encodeStruct(Itimerval, {
    it_interval: timeval(timer?.interval ?? 0n),
    // Due but not yet seen by the tick: report the smallest nonzero value, as an armed timer never reads zero.
    it_value: timeval(timer ? (left > 1000n ? left : 1000n) : 0n),
  });
}

/** ITIMER_VIRTUAL (SIGVTALRM) or ITIMER_PROF (SIGPROF) after `valueNs` of the process's CPU time, then every `intervalNs`. */
export function armCpuItimer(t: Task, which: number, valueNs: bigint, intervalNs: bigint): void {
  const g = t.group;
  g.cpuItimers.get(which)?.cancel();
  g.cpuItimers.delete(which);
  if (valueNs === 0n) return;
  const sig = which === ITIMER.VIRTUAL ? Signal.SIGVTALRM : Signal.SIGPROF;
  const read = () => itimerClock(t, which);
  const arm = (deadline: bigint) => {
    const cancel = t.kernel.cpuTimers.add(read, deadline, () => {
      if (g.exitStatus !== undefined) return;
      sendSignal(t.kernel, g, sig, sigInfoKernel(sig));
      if (intervalNs > 0n) arm(deadline + intervalNs);
      else g.cpuItimers.delete(which);
    });
    g.cpuItimers.set(which, { deadline, interval: intervalNs, cancel });
  };
  arm(read() + valueNs);
}
