import type { SyscallTable } from '../syscall-table.js';
import { CAP, Errno, RLIMIT, SCHED, SCHED_ATTR_SIZE, SCHED_FLAG, SysError } from '@tvisor/abi';
import { copyOutU32 } from '../user-io.js';
import { hasCapability } from '../credentials.js';
import type { Task } from '../task.js';
import { MAX_NICE, MAX_RT_PRIO, MIN_NICE, allCpusMask, isFair, isRealTime, onlineCpuCount, type SchedState } from '../sched-state.js';
import { maySetScheduling, niceAllowed, schedTarget } from '../sched-access.js';

const PAGE_SIZE = 4096;
/** The struct sched_attr this kernel knows (the utilization clamps included). */
const KERNEL_ATTR_SIZE = SCHED_ATTR_SIZE.VER1;
/** Linux's uclamp range: a thread's default util_max is the full scale. */
const UCLAMP_MAX = 1024;
/** SCHED_DEADLINE's smallest runtime (Linux's 1 << DL_SCALE ns). */
const DL_MIN_RUNTIME = 1024n;
const KNOWN_SCHED_FLAGS =
  SCHED_FLAG.RESET_ON_FORK |
  SCHED_FLAG.RECLAIM |
  SCHED_FLAG.DL_OVERRUN |
  SCHED_FLAG.KEEP_POLICY |
  SCHED_FLAG.KEEP_PARAMS |
  SCHED_FLAG.UTIL_CLAMP_MIN |
  SCHED_FLAG.UTIL_CLAMP_MAX;

/** Bytes of a CPU mask as the kernel copies it: whole longs covering every CPU. */
function cpumaskBytes(): number {
  return Math.ceil(onlineCpuCount() / 64) * 8;
}

interface SchedRequest {
  /** undefined: keep the thread's policy (sched_setparam, SCHED_FLAG_KEEP_POLICY). */
  policy: number | undefined;
  priority: number;
  nice: number | undefined;
  resetOnFork: boolean | undefined;
  deadline?: { runtime: bigint; deadline: bigint; period: bigint };
}

/** Linux's __sched_setscheduler: validate `req` against the target and the caller's privileges, then apply it. */
function setScheduler(t: Task, target: Task, req: SchedRequest): void {
  const s = target.sched;
  const policy = req.policy ?? s.policy;
  const known = isFair(policy) || isRealTime(policy) || policy === SCHED.DEADLINE;
  if (!known) throw new SysError(Errno.EINVAL);
  if (req.priority < 0 || req.priority > MAX_RT_PRIO) throw new SysError(Errno.EINVAL);
  if (isRealTime(policy) !== (req.priority !== 0)) throw new SysError(Errno.EINVAL);
  if (policy === SCHED.DEADLINE) {
    const d = req.deadline ?? s.deadline;
    const period = d.period === 0n ? d.deadline : d.period;
    if (d.deadline === 0n || d.runtime < DL_MIN_RUNTIME || d.runtime > d.deadline || d.deadline > period) throw new SysError(Errno.EINVAL);
  }
  const privileged = hasCapability(t.creds, CAP.SYS_NICE);
  if (!privileged) {
    const nice = req.nice ?? s.nice;
    if (isFair(policy) && nice < s.nice && !niceAllowed(target, nice)) throw new SysError(Errno.EPERM);
    if (isRealTime(policy)) {
      const rtLimit = Number(target.group.rlimits[RLIMIT.RTPRIO][0]);
      // Without the capability a thread may only lower its real-time priority within RLIMIT_RTPRIO.
      if (!isRealTime(s.policy) && rtLimit === 0) throw new SysError(Errno.EPERM);
      if (req.priority > s.priority && req.priority > rtLimit) throw new SysError(Errno.EPERM);
    }
    if (policy === SCHED.DEADLINE) throw new SysError(Errno.EPERM);
    // Leaving SCHED_IDLE needs RLIMIT_NICE as much as lowering nice does.
    if (s.policy === SCHED.IDLE && policy !== SCHED.IDLE && !niceAllowed(target, s.nice)) throw new SysError(Errno.EPERM);
    if (s.resetOnFork && req.resetOnFork === false) throw new SysError(Errno.EPERM);
    if (!maySetScheduling(t, target)) throw new SysError(Errno.EPERM);
  }
  s.policy = policy;
  s.priority = req.priority;
  if (req.nice !== undefined && isFair(policy)) s.nice = req.nice;
  if (req.resetOnFork !== undefined) s.resetOnFork = req.resetOnFork;
  if (policy === SCHED.DEADLINE && req.deadline) s.deadline = { ...req.deadline };
}

function readPriority(t: Task, addr: number): number {
  if (addr === 0) throw new SysError(Errno.EINVAL);
  const b = t.mm.copyIn(addr, 4);
  return new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
}

/** sched_setattr's struct, read as copy_struct_from_user does: E2BIG (and the kernel's size written back) for sizes it cannot take. */
function readSchedAttr(
  t: Task,
  addr: number,
): { policy: number; flags: bigint; nice: number; priority: number; runtime: bigint; deadline: bigint; period: bigint } {
  const head = t.mm.copyIn(addr, 4);
  let size = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
  const tooBig = (): never => {
    copyOutU32(t.mm, addr, KERNEL_ATTR_SIZE);
    throw new SysError(Errno.E2BIG);
  };
  if (size > PAGE_SIZE) tooBig();
  if (size === 0) size = SCHED_ATTR_SIZE.VER0;
  if (size < SCHED_ATTR_SIZE.VER0) tooBig();
  const bytes = t.mm.copyIn(addr, size);
  // A newer struct is accepted only when the fields this kernel does not know are zero.
  for (let i = KERNEL_ATTR_SIZE; i < size; i++) if (bytes[i] !== 0) tooBig();
  const full = new Uint8Array(KERNEL_ATTR_SIZE);
  full.set(bytes.subarray(0, Math.min(size, KERNEL_ATTR_SIZE)));
  const v = new DataView(full.buffer);
  const flags = v.getBigUint64(8, true);
  if (flags & BigInt(SCHED_FLAG.UTIL_CLAMP_MIN | SCHED_FLAG.UTIL_CLAMP_MAX) && size < SCHED_ATTR_SIZE.VER1) throw new SysError(Errno.EINVAL);
  return {
    policy: v.getUint32(4, true),
    flags,
    nice: Math.max(MIN_NICE, Math.min(MAX_NICE, v.getInt32(16, true))),
    priority: v.getUint32(20, true),
    runtime: v.getBigUint64(24, true),
    deadline: v.getBigUint64(32, true),
    period: v.getBigUint64(40, true),
  };
}

function writeSchedAttr(t: Task, addr: number, usize: number, s: SchedState): void {
  const size = Math.min(usize, KERNEL_ATTR_SIZE);
  const out = new Uint8Array(KERNEL_ATTR_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, size, true);
  v.setUint32(4, s.policy, true);
  v.setBigUint64(8, s.resetOnFork ? BigInt(SCHED_FLAG.RESET_ON_FORK) : 0n, true);
  v.setInt32(16, isFair(s.policy) ? s.nice : 0, true);
  v.setUint32(20, s.priority, true);
  if (s.policy === SCHED.DEADLINE) {
    v.setBigUint64(24, s.deadline.runtime, true);
    v.setBigUint64(32, s.deadline.deadline, true);
    v.setBigUint64(40, s.deadline.period, true);
  }
  v.setUint32(52, UCLAMP_MAX, true);
  t.mm.copyOut(addr, out.subarray(0, size));
}

/** Scheduling: yield, CPU affinity, policies and priorities (sched_*), getcpu. */
export function registerSchedSyscalls(table: SyscallTable): void {
  table.register({
    sched_yield: { args: [], handler: () => 0 },
    sched_getaffinity: {
      args: ['int', 'uint', 'ptr'],
      support: 'partial',
      note: 'the mask is recorded per thread and reported; the host schedules the stubs',
      handler: (t, a) => {
        const len = a.arg(1);
        if (len * 8 < onlineCpuCount() || len % 8 !== 0) throw new SysError(Errno.EINVAL);
        const target = schedTarget(t, a.argInt(0));
        const bytes = Math.min(len, cpumaskBytes());
        const out = new Uint8Array(bytes);
        const mask = target.sched.affinity;
        for (let i = 0; i < bytes * 8; i++) if ((mask >> BigInt(i)) & 1n) out[i >> 3] |= 1 << (i & 7);
        t.mm.copyOut(a.arg(2), out);
        return bytes;
      },
    },
    sched_setaffinity: {
      args: ['int', 'uint', 'ptr'],
      support: 'partial',
      note: 'recorded per thread (CPUs the sandbox does not have dropped) and reported, not enforced: the host schedules the stubs',
      handler: (t, a) => {
        const target = schedTarget(t, a.argInt(0));
        const bytes = t.mm.copyIn(a.arg(2), Math.min(a.arg(1), cpumaskBytes()));
        let mask = 0n;
        for (let i = 0; i < bytes.length * 8; i++) if (bytes[i >> 3] & (1 << (i & 7))) mask |= 1n << BigInt(i);
        if (!maySetScheduling(t, target)) throw new SysError(Errno.EPERM);
        mask &= allCpusMask();
        if (mask === 0n) throw new SysError(Errno.EINVAL);
        target.sched.affinity = mask;
        return 0;
      },
    },
    getcpu: {
      args: ['ptr', 'ptr', 'ptr'],
      handler: (t, a) => {
        // The lowest CPU the thread may run on: where the host runs it is not the sandbox's to see.
        let cpu = 0;
        while (((t.sched.affinity >> BigInt(cpu)) & 1n) === 0n && cpu < onlineCpuCount()) cpu++;
        if (a.arg(0) !== 0) copyOutU32(t.mm, a.arg(0), cpu);
        if (a.arg(1) !== 0) copyOutU32(t.mm, a.arg(1), 0);
        return 0;
      },
    },
    sched_getscheduler: {
      args: ['int'],
      handler: (t, a) => {
        const s = schedTarget(t, a.argInt(0)).sched;
        return s.policy | (s.resetOnFork ? SCHED.RESET_ON_FORK : 0);
      },
    },
    sched_getparam: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        if (a.arg(1) === 0) throw new SysError(Errno.EINVAL);
        copyOutU32(t.mm, a.arg(1), schedTarget(t, a.argInt(0)).sched.priority);
        return 0;
      },
    },
    sched_setparam: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        if (a.arg(1) === 0 || a.argInt(0) < 0) throw new SysError(Errno.EINVAL);
        const priority = readPriority(t, a.arg(1));
        setScheduler(t, schedTarget(t, a.argInt(0)), { policy: undefined, priority, nice: undefined, resetOnFork: undefined });
        return 0;
      },
    },
    sched_setscheduler: {
      args: ['int', 'int', 'ptr'],
      support: 'partial',
      note: 'policies and priorities are recorded and reported; the host schedules the stubs',
      handler: (t, a) => {
        const raw = a.argInt(1);
        if (raw < 0 || a.arg(2) === 0 || a.argInt(0) < 0) throw new SysError(Errno.EINVAL);
        const priority = readPriority(t, a.arg(2));
        const target = schedTarget(t, a.argInt(0));
        setScheduler(t, target, { policy: raw & ~SCHED.RESET_ON_FORK, priority, nice: undefined, resetOnFork: (raw & SCHED.RESET_ON_FORK) !== 0 });
        return 0;
      },
    },
    sched_setattr: {
      args: ['int', 'ptr', 'uint'],
      support: 'partial',
      note: 'recorded and reported (sched_getattr, /proc); the host schedules the stubs',
      handler: (t, a) => {
        if (a.arg(1) === 0 || a.argInt(0) < 0 || a.arg(2) !== 0) throw new SysError(Errno.EINVAL);
        const attr = readSchedAttr(t, a.arg(1));
        const target = schedTarget(t, a.argInt(0));
        if (attr.flags & ~BigInt(KNOWN_SCHED_FLAGS)) throw new SysError(Errno.EINVAL);
        const flags = Number(attr.flags);
        const s = target.sched;
        const keepPolicy = (flags & SCHED_FLAG.KEEP_POLICY) !== 0;
        const keepParams = (flags & SCHED_FLAG.KEEP_PARAMS) !== 0;
        setScheduler(t, target, {
          policy: keepPolicy ? undefined : attr.policy,
          priority: keepParams ? s.priority : attr.priority,
          nice: keepParams ? undefined : attr.nice,
          resetOnFork: (flags & SCHED_FLAG.RESET_ON_FORK) !== 0,
          deadline: keepParams ? undefined : { runtime: attr.runtime, deadline: attr.deadline, period: attr.period },
        });
        return 0;
      },
    },
    sched_getattr: {
      args: ['int', 'ptr', 'uint', 'uint'],
      handler: (t, a) => {
        const usize = a.arg(2);
        if (a.arg(1) === 0 || a.argInt(0) < 0 || usize > PAGE_SIZE || usize < SCHED_ATTR_SIZE.VER0 || a.arg(3) !== 0) throw new SysError(Errno.EINVAL);
        writeSchedAttr(t, a.arg(1), usize, schedTarget(t, a.argInt(0)).sched);
        return 0;
      },
    },
    sched_get_priority_max: {
      args: ['int'],
      handler: (_t, a) => {
        const policy = a.argInt(0);
        if (isRealTime(policy)) return MAX_RT_PRIO;
        if (isFair(policy) || policy === SCHED.DEADLINE) return 0;
        throw new SysError(Errno.EINVAL);
      },
    },
    sched_get_priority_min: {
      args: ['int'],
      handler: (_t, a) => {
        const policy = a.argInt(0);
        if (isRealTime(policy)) return 1;
        if (isFair(policy) || policy === SCHED.DEADLINE) return 0;
        throw new SysError(Errno.EINVAL);
      },
    },
    sched_rr_get_interval: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        const s = schedTarget(t, a.argInt(0)).sched;
        // SCHED_FIFO has no time slice; others get Linux's default round-robin slice (100 ms).
        const slice = s.policy === SCHED.FIFO ? 0n : 100_000_000n;
        const out = new Uint8Array(16);
        new DataView(out.buffer).setBigInt64(8, slice, true);
        t.mm.copyOut(a.arg(1), out);
        return 0;
      },
    },
  });
}
