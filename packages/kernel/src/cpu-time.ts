import { CLOCK, CPUCLOCK, Errno, SysError } from '@tvisor/abi';
import { clockNow, type Nanos } from './clock.js';
import type { Task, ThreadGroup } from './task.js';

/**
 * CPU-time accounting. A task's user time is what the host spent running its
 * platform context (application code, and the host's own work for it, e.g.
 * page faults); its system time is what the sentry spent serving its
 * syscalls. Both are nanoseconds.
 */
export interface CpuTimes {
  user: Nanos;
  system: Nanos;
}

export function zeroCpu(): CpuTimes {
  return { user: 0n, system: 0n };
}

function add(to: CpuTimes, from: CpuTimes): void {
  to.user += from.user;
  to.system += from.system;
}

/** One task's CPU time so far. */
export function taskCpu(t: Task): CpuTimes {
  return {
    user: t.cpuUserBase + (t.exited ? 0n : t.context.cpuTime()),
    system: BigInt(Math.round(t.sentryMs * 1e6)),
  };
}

/** A process's CPU time: its live threads' plus its exited threads'. */
export function groupCpu(g: ThreadGroup): CpuTimes {
  const sum = { ...g.exitedCpu };
  for (const t of g.tasks) if (!t.exited) add(sum, taskCpu(t));
  return sum;
}

/** A thread is about to go (exit, or exec replacing its context): its time moves to the process. Call before the context dies. */
export function retireTaskCpu(t: Task): void {
  add(t.group.exitedCpu, taskCpu(t));
}

/** The parent reaped `child` (wait4/waitid): the child's time and its own reaped children's count as the parent's children's. */
export function reapChildCpu(parent: ThreadGroup, child: ThreadGroup): void {
  add(parent.childrenCpu, childTotal(child));
  parent.childrenMaxRssKb = Math.max(parent.childrenMaxRssKb, child.maxRssKb, child.childrenMaxRssKb);
}

/** What wait4's rusage reports for a child: its own time and its reaped children's. */
export function childTotal(child: ThreadGroup): CpuTimes {
  const sum = groupCpu(child);
  add(sum, child.childrenCpu);
  return sum;
}

/** USER_HZ clock ticks, the unit of times(2), /proc/PID/stat and siginfo's si_utime. */
export function nsToTicks(ns: Nanos): number {
  return Number(ns / 10_000_000n);
}

export function isCpuClock(clock: number): boolean {
  return clock < 0 || clock === CLOCK.PROCESS_CPUTIME_ID || clock === CLOCK.THREAD_CPUTIME_ID;
}

/** The unreaped zombie process `pid` (every zombie is a child of a live process), if there is one. */
function zombie(t: Task, pid: number): ThreadGroup | undefined {
  for (const task of t.kernel.tasks.values()) for (const c of task.group.children) if (c.pid === pid && c.exitStatus !== undefined) return c;
  return undefined;
}

/**
 * Resolves a CPU-time clock id (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
 * or one built by clock_getcpuclockid/pthread_getcpuclockid) to a reader of
 * its value. As on Linux, a thread's clock can be read only from its own
 * process; a process clock needs a process id (or the caller's own tid).
 * EINVAL otherwise.
 */
export function cpuClockReader(t: Task, clock: number): () => Nanos {
  let kind: number = CPUCLOCK.SCHED;
  let perThread = clock === CLOCK.THREAD_CPUTIME_ID;
  let id = 0;
  if (clock < 0) {
    kind = clock & 3;
    perThread = (clock & CPUCLOCK.PERTHREAD) !== 0;
    id = ~(clock >> 3);
    if (kind === CPUCLOCK.CLOCKFD) throw new SysError(Errno.EINVAL);
  } else if (!isCpuClock(clock)) {
    throw new SysError(Errno.EINVAL);
  }
  const pick = (c: CpuTimes) => (kind === CPUCLOCK.VIRT ? c.user : c.user + c.system);
  if (perThread) {
    const target = id === 0 ? t : t.kernel.tasks.get(id);
    if (!target || target.group !== t.group) throw new SysError(Errno.EINVAL);
    return () => pick(taskCpu(target));
  }
  let g = t.group;
  if (id !== 0 && id !== t.tid) {
    const leader = t.kernel.tasks.get(id);
    // A zombie's clock still reads (its final CPU time) until it is reaped.
    const found = leader && leader.group.pid === id ? leader.group : zombie(t, id);
    if (!found) throw new SysError(Errno.EINVAL);
    g = found;
  }
  return () => pick(groupCpu(g));
}

/** What `clock` reads now for `t`: a sandbox clock, or a CPU-time clock. */
export function readClock(t: Task, clock: number): Nanos {
  return isCpuClock(clock) ? cpuClockReader(t, clock)() : clockNow(clock);
}

/** Runs `fn` once `clock` reads `deadline`; returns a function that cancels it. */
export function atClockDeadline(t: Task, clock: number, deadline: Nanos, fn: () => void): () => void {
  if (!isCpuClock(clock)) return t.kernel.setDeadline(clock, deadline, fn);
  return t.kernel.cpuTimers.add(cpuClockReader(t, clock), deadline, fn);
}

/** How often armed CPU timers are checked: Linux's tick at HZ=100 is as coarse. */
const CPU_TIMER_TICK_MS = 10;

interface CpuTimer {
  read: () => Nanos;
  deadline: Nanos;
  fire: () => void;
}

/**
 * Timers on CPU-time clocks (ITIMER_VIRTUAL/PROF, POSIX timers and sleeps
 * on CPU clocks). CPU time advances while application code runs, which
 * the sentry does not see, so armed timers are checked on a periodic tick.
 * No tick runs while none is armed.
 */
export class CpuTimers {
  private readonly armed = new Set<CpuTimer>();
  private cancelTick: (() => void) | undefined;

  constructor(private readonly setTimer: (ms: number, fn: () => void) => () => void) {}

  /** Calls `fire` once `read()` reaches `deadline` (at a tick, so up to one tick late). Returns a canceller. */
  add(read: () => Nanos, deadline: Nanos, fire: () => void): () => void {
    const timer: CpuTimer = { read, deadline, fire };
    this.armed.add(timer);
    this.cancelTick ??= this.setTimer(CPU_TIMER_TICK_MS, () => this.tick());
    return () => {
      this.armed.delete(timer);
      if (this.armed.size === 0) this.stopTick();
    };
  }

  get size(): number {
    return this.armed.size;
  }

  private stopTick(): void {
    this.cancelTick?.();
    this.cancelTick = undefined;
  }

  private tick(): void {
    this.cancelTick = undefined;
    for (const timer of [...this.armed]) {
      if (!this.armed.has(timer) || timer.read() < timer.deadline) continue;
      this.armed.delete(timer);
      timer.fire();
    }
    if (this.armed.size > 0) this.cancelTick ??= this.setTimer(CPU_TIMER_TICK_MS, () => this.tick());
  }
}

/**
 * The clock id that names the same clock from any thread of `t`'s process:
 * CLOCK_THREAD_CPUTIME_ID becomes `t`'s own thread clock, and
 * CLOCK_PROCESS_CPUTIME_ID its process clock, as a timer binds them when it
 * is created. Other clocks are returned unchanged (EINVAL if unknown).
 */
export function bindClock(t: Task, clock: number): number {
  readClock(t, clock);
  if (clock === CLOCK.THREAD_CPUTIME_ID) return (~t.tid << 3) | CPUCLOCK.PERTHREAD | CPUCLOCK.SCHED;
  if (clock === CLOCK.PROCESS_CPUTIME_ID) return (~t.group.pid << 3) | CPUCLOCK.SCHED;
  return clock;
}
