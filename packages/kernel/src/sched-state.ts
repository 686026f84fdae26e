import { cpus } from 'node:os';
import { SCHED } from '@tvisor/abi';

/**
 * A thread's scheduling attributes as Linux keeps them per task: policy, real-time
 * priority, nice, the CPUs it may run on and its I/O priority. The host schedules
 * the stubs, so these are recorded and reported, not enforced; each is inherited
 * by clone as Linux's sched_fork does.
 */
export interface SchedState {
  policy: number;
  /** sched_priority: 1..99 for SCHED_FIFO/RR, 0 otherwise. */
  priority: number;
  /** -20..19. */
  nice: number;
  /** SCHED_RESET_ON_FORK: a child starts with the default policy and a nice no lower than 0. */
  resetOnFork: boolean;
  /** Bit i set: the thread may run on CPU i. */
  affinity: bigint;
  /** ioprio_set's value ((class << 13) | data); 0 is IOPRIO_CLASS_NONE. */
  ioprio: number;
  /** SCHED_DEADLINE's runtime, deadline and period (ns). */
  deadline: { runtime: bigint; deadline: bigint; period: bigint };
}

export const MIN_NICE = -20;
export const MAX_NICE = 19;
/** The largest sched_priority of SCHED_FIFO and SCHED_RR. */
export const MAX_RT_PRIO = 99;

/** The host's CPU count, read once: os.cpus() parses /proc/cpuinfo (~2 ms), and every clone asks. */
let cpuCountCache: number | undefined;

/** How many CPUs the sandbox reports (the host's). */
export function onlineCpuCount(): number {
  cpuCountCache ??= Math.max(1, cpus().length);
  return cpuCountCache;
}

/** Every CPU the sandbox reports. */
export function allCpusMask(): bigint {
  return (1n << BigInt(onlineCpuCount())) - 1n;
}

/** The state of the first thread: SCHED_OTHER, nice 0, every CPU. */
export function defaultSchedState(): SchedState {
  return {
    policy: SCHED.NORMAL,
    priority: 0,
    nice: 0,
    resetOnFork: false,
    affinity: allCpusMask(),
    ioprio: 0,
    deadline: { runtime: 0n, deadline: 0n, period: 0n },
  };
}

/** A clone child's state: the parent's, reset to the defaults when the parent asked for SCHED_RESET_ON_FORK. */
export function inheritSchedState(parent: SchedState): SchedState {
  const s: SchedState = { ...parent, deadline: { ...parent.deadline } };
  if (s.resetOnFork) {
    if (isRealTime(s.policy) || s.policy === SCHED.DEADLINE) {
      s.policy = SCHED.NORMAL;
      s.priority = 0;
    }
    if (s.nice < 0) s.nice = 0;
    s.resetOnFork = false;
  }
  return s;
}

export function isRealTime(policy: number): boolean {
  return policy === SCHED.FIFO || policy === SCHED.RR;
}

/** The policies the CFS class runs, which nice applies to. */
export function isFair(policy: number): boolean {
  return policy === SCHED.NORMAL || policy === SCHED.BATCH || policy === SCHED.IDLE;
}

/** A SCHED_DEADLINE thread's stat priority: Linux's prio for it (-1) less MAX_RT_PRIO (100). */
const DEADLINE_STAT_PRIORITY = -101;

/** /proc/PID/stat's priority field: -1 - rt_priority for real-time threads, 20 + nice otherwise (prio - MAX_RT_PRIO). */
export function statPriority(s: SchedState): number {
  if (isRealTime(s.policy)) return -1 - s.priority;
  if (s.policy === SCHED.DEADLINE) return DEADLINE_STAT_PRIORITY;
  return 20 + s.nice;
}

/** CPU list as /proc's Cpus_allowed_list prints it ("0-3,6"). */
export function cpuListText(mask: bigint): string {
  const ranges: string[] = [];
  let i = 0;
  while (mask >> BigInt(i) !== 0n) {
    if (((mask >> BigInt(i)) & 1n) === 0n) {
      i++;
      continue;
    }
    const start = i;
    while (((mask >> BigInt(i + 1)) & 1n) === 1n) i++;
    ranges.push(start === i ? String(start) : `${start}-${i}`);
    i++;
  }
  return ranges.join(',');
}
