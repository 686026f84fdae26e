import { cpus, totalmem } from 'node:os';
import { AT, Errno, ITIMER, Itimerval, O, PR, RUSAGE, Rusage, Signal, SysError, Sysinfo, Tms } from '@tvisor/abi';
import { clockNow } from '../clock.js';
import { groupCpu, nsToTicks, taskCpu, type CpuTimes } from '../cpu-time.js';
import { sendSignal } from '../signal-delivery.js';
import { sigInfoKernel } from '../signals/index.js';
import type { Task } from '../task.js';
import { copyOutU32, readPath } from '../user-io.js';
import type { SyscallTable } from '../syscall-table.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TASK_COMM_LEN = 16;

function prctl(t: Task, option: number, arg2: number): number {
  const g = t.group;
  switch (option) {
    case PR.SET_NAME: {
      const name = t.mm.readCStringBytes(arg2, TASK_COMM_LEN);
      g.name = decoder.decode(name.subarray(0, TASK_COMM_LEN - 1));
      return 0;
    }
    case PR.GET_NAME: {
      const out = new Uint8Array(TASK_COMM_LEN);
      out.set(encoder.encode(g.name).subarray(0, TASK_COMM_LEN - 1));
      t.mm.copyOut(arg2, out);
      return 0;
    }
    case PR.SET_PDEATHSIG:
      if (arg2 < 0 || arg2 > 64) throw new SysError(Errno.EINVAL);
      g.parentDeathSignal = arg2;
      return 0;
    case PR.GET_PDEATHSIG:
      copyOutU32(t.mm, arg2, g.parentDeathSignal);
      return 0;
    case PR.SET_NO_NEW_PRIVS:
      if (arg2 !== 1) throw new SysError(Errno.EINVAL);
      g.noNewPrivs = true;
      return 0;
    case PR.GET_NO_NEW_PRIVS:
      return g.noNewPrivs ? 1 : 0;
    case PR.SET_DUMPABLE:
      if (arg2 !== 0 && arg2 !== 1) throw new SysError(Errno.EINVAL);
      g.dumpable = arg2;
      return 0;
    case PR.GET_DUMPABLE:
      return g.dumpable;
    case PR.SET_CHILD_SUBREAPER:
      g.childSubreaper = arg2 !== 0;
      return 0;
    case PR.GET_CHILD_SUBREAPER:
      copyOutU32(t.mm, arg2, g.childSubreaper ? 1 : 0);
      return 0;
    case PR.SET_KEEPCAPS:
    case PR.GET_KEEPCAPS:
      return 0;
    case PR.CAPBSET_READ:
      if (arg2 < 0 || arg2 > 40) throw new SysError(Errno.EINVAL);
      return 1;
    default:
      throw new SysError(Errno.EINVAL);
  }
}

function itimerValue(t: Task): Uint8Array {
  const out = new Uint8Array(32);
  const v = new DataView(out.buffer);
  const g = t.group;
  const leftNs = g.realTimer ? Math.max(0, g.realTimer.deadline - Number(clockNow(1))) : 0;
  const interval = g.realTimer?.intervalNs ?? 0;
  v.setBigInt64(0, BigInt(Math.floor(interval / 1e9)), true);
  v.setBigInt64(8, BigInt(Math.floor((interval % 1e9) / 1000)), true);
  v.setBigInt64(16, BigInt(Math.floor(leftNs / 1e9)), true);
  v.setBigInt64(24, BigInt(Math.ceil((leftNs % 1e9) / 1000)), true);
  return out;
}

/** ITIMER_REAL: SIGALRM after `valueNs`, then every `intervalNs` (0: once). */
function armRealTimer(t: Task, valueNs: number, intervalNs: number): void {
  const g = t.group;
  g.realTimer?.cancel();
  g.realTimer = undefined;
  if (valueNs === 0) return;
  const fire = (delayNs: number) => {
    const deadline = Number(clockNow(1)) + delayNs;
    const cancel = t.kernel.setTimer(delayNs / 1e6, () => {
      sendSignal(t.kernel, g, Signal.SIGALRM, sigInfoKernel(Signal.SIGALRM));
      if (intervalNs > 0 && g.exitStatus === undefined) fire(intervalNs);
      else g.realTimer = undefined;
    });
    g.realTimer = { deadline, intervalNs, cancel };
  };
  fire(valueNs);
}

/** A struct timeval from nanoseconds. */
function timeval(ns: bigint): { tv_sec: number; tv_usec: number } {
  return { tv_sec: Number(ns / 1_000_000_000n), tv_usec: Number((ns % 1_000_000_000n) / 1000n) };
}

/** struct rusage with the CPU times and peak RSS the sentry accounts; the fault and I/O counters stay zero. */
export function encodeRusage(cpu: CpuTimes, maxRssKb: number): Uint8Array {
  const out = new Uint8Array(Rusage.size);
  const zero = { ru_ixrss: 0, ru_idrss: 0, ru_isrss: 0, ru_minflt: 0, ru_majflt: 0, ru_nswap: 0, ru_inblock: 0, ru_oublock: 0 };
  Rusage.encode(new DataView(out.buffer), 0, {
    ...zero,
    ru_utime: timeval(cpu.user),
    ru_stime: timeval(cpu.system),
    ru_maxrss: maxRssKb,
    ru_msgsnd: 0,
    ru_msgrcv: 0,
    ru_nsignals: 0,
    ru_nvcsw: 0,
    ru_nivcsw: 0,
  });
  return out;
}

/** The CPU clock an interval timer counts: user time (VIRTUAL) or user plus system (PROF). */
function itimerClock(t: Task, which: number): bigint {
  const cpu = groupCpu(t.group);
  return which === ITIMER.VIRTUAL ? cpu.user : cpu.user + cpu.system;
}

/** getitimer's value for ITIMER_VIRTUAL/PROF: the CPU time left and the interval. */
function cpuItimerValue(t: Task, which: number): Uint8Array {
  const timer = t.group.cpuItimers.get(which);
  const left = timer ? timer.deadline - itimerClock(t, which) : 0n;
  const out = new Uint8Array(Itimerval.size);
  Itimerval.encode(new DataView(out.buffer), 0, {
    it_interval: timeval(timer?.interval ?? 0n),
    // Due but not yet seen by the tick: report the smallest nonzero value, as an armed timer never reads zero.
    it_value: timeval(timer ? (left > 1000n ? left : 1000n) : 0n),
  });
  return out;
}

/** ITIMER_VIRTUAL (SIGVTALRM) or ITIMER_PROF (SIGPROF) after `valueNs` of the process's CPU time, then every `intervalNs`. */
function armCpuItimer(t: Task, which: number, valueNs: bigint, intervalNs: bigint): void {
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

/** System information, scheduling knobs, prctl, interval timers. */
export function registerSystemSyscalls(table: SyscallTable): void {
  table.register({
    prctl: {
      args: ['int', 'hex', 'hex', 'hex', 'hex'],
      support: 'partial',
      note: 'names, pdeath signal (recorded), no_new_privs, dumpable, subreaper, capability bounding set reads',
      handler: (t, a) => prctl(t, a.argInt(0), a.arg(1)),
    },
    sysinfo: {
      args: ['ptr'],
      handler: (t, a) => {
        const out = new Uint8Array(Sysinfo.size);
        const total = totalmem();
        const used = t.kernel.memoryFile.allocatedBytes();
        Sysinfo.encode(new DataView(out.buffer), 0, {
          uptime: Math.floor(Number(clockNow(1)) / 1e9),
          loads: [0, 0, 0],
          totalram: total,
          freeram: Math.max(0, total - used),
          sharedram: 0,
          bufferram: 0,
          totalswap: 0,
          freeswap: 0,
          procs: t.kernel.tasks.size,
          totalhigh: 0,
          freehigh: 0,
          mem_unit: 1,
        });
        t.mm.copyOut(a.arg(0), out);
        return 0;
      },
    },
    times: {
      args: ['ptr'],
      note: 'the return value is clock ticks since the sandbox booted',
      handler: (t, a) => {
        if (a.arg(0) !== 0) {
          const self = groupCpu(t.group);
          const children = t.group.childrenCpu;
          const out = new Uint8Array(Tms.size);
          Tms.encode(new DataView(out.buffer), 0, {
            tms_utime: nsToTicks(self.user),
            tms_stime: nsToTicks(self.system),
            tms_cutime: nsToTicks(children.user),
            tms_cstime: nsToTicks(children.system),
          });
          t.mm.copyOut(a.arg(0), out);
        }
        return Math.floor(Number(clockNow(1)) / 1e7);
      },
    },
    getrusage: {
      args: ['int', 'ptr'],
      support: 'partial',
      note: 'CPU times and ru_maxrss (the current RSS for a live process); fault, I/O and context-switch counters are zero',
      handler: (t, a) => {
        const who = a.argInt(0);
        const g = t.group;
        const rssKb = () => Math.floor(g.mm.stats().rss / 1024);
        let out: Uint8Array;
        if (who === RUSAGE.SELF) out = encodeRusage(groupCpu(g), rssKb());
        else if (who === RUSAGE.THREAD) out = encodeRusage(taskCpu(t), rssKb());
        else if (who === RUSAGE.CHILDREN) out = encodeRusage(g.childrenCpu, g.childrenMaxRssKb);
        else throw new SysError(Errno.EINVAL);
        t.mm.copyOut(a.arg(1), out);
        return 0;
      },
    },
    sched_yield: { args: [], handler: () => 0 },
    sched_getaffinity: {
      args: ['int', 'uint', 'ptr'],
      handler: (t, a) => {
        const n = cpus().length;
        const bytes = Math.ceil(n / 64) * 8;
        if (a.arg(1) < bytes || a.arg(1) % 8 !== 0) throw new SysError(Errno.EINVAL);
        const out = new Uint8Array(bytes);
        for (let i = 0; i < n; i++) out[i >> 3] |= 1 << (i & 7);
        t.mm.copyOut(a.arg(2), out);
        return bytes;
      },
    },
    sched_setaffinity: {
      args: ['int', 'uint', 'ptr'],
      support: 'partial',
      note: 'accepted and not enforced: the host schedules the stubs',
      handler: (t, a) => {
        t.mm.copyIn(a.arg(2), Math.min(a.arg(1), 128));
        return 0;
      },
    },
    getcpu: {
      args: ['ptr', 'ptr', 'ptr'],
      handler: (t, a) => {
        if (a.arg(0) !== 0) copyOutU32(t.mm, a.arg(0), 0);
        if (a.arg(1) !== 0) copyOutU32(t.mm, a.arg(1), 0);
        return 0;
      },
    },
    sched_getscheduler: { args: ['int'], handler: () => 0 },
    sched_getparam: { args: ['int', 'ptr'], handler: (t, a) => { copyOutU32(t.mm, a.arg(1), 0); return 0; } },
    sched_get_priority_max: { args: ['int'], handler: (_t, a) => (a.argInt(0) === 1 || a.argInt(0) === 2 ? 99 : 0) },
    sched_get_priority_min: { args: ['int'], handler: (_t, a) => (a.argInt(0) === 1 || a.argInt(0) === 2 ? 1 : 0) },
    getpriority: { args: ['int', 'int'], handler: (t) => 20 - t.group.nice },
    setpriority: {
      args: ['int', 'int', 'int'],
      handler: (t, a) => {
        const nice = Math.max(-20, Math.min(19, a.argInt(2)));
        if (nice < t.group.nice && t.group.creds.euid !== 0) throw new SysError(Errno.EACCES);
        t.group.nice = nice;
        return 0;
      },
    },
    personality: {
      args: ['hex'],
      handler: (t, a) => {
        const old = t.group.personality;
        if (a.argUint(0) !== 0xffffffff) t.group.personality = a.argUint(0);
        return old;
      },
    },
    sethostname: {
      args: ['str', 'uint'],
      handler: (t, a) => {
        const n = a.arg(1);
        if (n > 64) throw new SysError(Errno.EINVAL);
        if (t.group.creds.euid !== 0) throw new SysError(Errno.EPERM);
        t.kernel.uname.nodename = decoder.decode(t.mm.copyIn(a.arg(0), n));
        return 0;
      },
    },
    setdomainname: {
      args: ['str', 'uint'],
      handler: (t, a) => {
        const n = a.arg(1);
        if (n > 64) throw new SysError(Errno.EINVAL);
        if (t.group.creds.euid !== 0) throw new SysError(Errno.EPERM);
        t.kernel.uname.domainname = decoder.decode(t.mm.copyIn(a.arg(0), n));
        return 0;
      },
    },
    alarm: {
      args: ['uint'],
      handler: (t, a) => {
        const g = t.group;
        const left = g.realTimer ? Math.max(0, g.realTimer.deadline - Number(clockNow(1))) : 0;
        armRealTimer(t, a.argUint(0) * 1e9, 0);
        // Rounded to the nearest second, and never 0 for a pending alarm (alarm(2)).
        return left === 0 ? 0 : Math.max(1, Math.round(left / 1e9));
      },
    },
    syslog: {
      args: ['int', 'ptr', 'int'],
      support: 'partial',
      note: 'the console actions are accepted and do nothing',
      handler: (t, a) => {
        const log = t.kernel.log;
        const action = a.argInt(0);
        const len = a.argInt(2);
        switch (action) {
          case 0: // CLOSE
          case 1: // OPEN
          case 6: // CONSOLE_OFF
          case 7: // CONSOLE_ON
          case 8: // CONSOLE_LEVEL
            return 0;
          case 2: // READ: destructive, from where the last one stopped
          case 3: // READ_ALL
          case 4: { // READ_CLEAR
            if (len < 0) throw new SysError(Errno.EINVAL);
            const all = encoder.encode(log.syslogText());
            let bytes = action === 2 ? all.subarray(log.readCursor) : all;
            // READ_ALL returns the newest bytes that fit.
            bytes = action === 2 ? bytes.subarray(0, len) : bytes.subarray(Math.max(0, bytes.length - len));
            t.mm.copyOut(a.arg(1), bytes);
            if (action === 2) log.readCursor += bytes.length;
            if (action === 4) log.readCursor = all.length;
            return bytes.length;
          }
          case 5: // CLEAR
            log.readCursor = encoder.encode(log.syslogText()).length;
            return 0;
          case 9: // SIZE_UNREAD
            return Math.max(0, encoder.encode(log.syslogText()).length - log.readCursor);
          case 10: // SIZE_BUFFER
            return 1 << 17;
          default:
            throw new SysError(Errno.EINVAL);
        }
      },
    },
    getitimer: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        const which = a.argInt(0);
        if (which !== ITIMER.REAL && which !== ITIMER.VIRTUAL && which !== ITIMER.PROF) throw new SysError(Errno.EINVAL);
        t.mm.copyOut(a.arg(1), which === ITIMER.REAL ? itimerValue(t) : cpuItimerValue(t, which));
        return 0;
      },
    },
    setitimer: {
      args: ['int', 'ptr', 'ptr'],
      note: 'VIRTUAL and PROF count the process\'s CPU time, checked every 10 ms (a tick)',
      handler: (t, a) => {
        const which = a.argInt(0);
        if (which !== ITIMER.REAL && which !== ITIMER.VIRTUAL && which !== ITIMER.PROF) throw new SysError(Errno.EINVAL);
        if (a.arg(2) !== 0) t.mm.copyOut(a.arg(2), which === ITIMER.REAL ? itimerValue(t) : cpuItimerValue(t, which));
        if (a.arg(1) === 0) return 0;
        const raw = t.mm.copyIn(a.arg(1), 32);
        const v = new DataView(raw.buffer, raw.byteOffset, 32);
        const tv = (off: number) => {
          const sec = Number(v.getBigInt64(off, true));
          const usec = Number(v.getBigInt64(off + 8, true));
          if (sec < 0 || usec < 0 || usec >= 1e6) throw new SysError(Errno.EINVAL);
          return sec * 1e9 + usec * 1000;
        };
        const interval = tv(0);
        const value = tv(16);
        if (which === ITIMER.REAL) armRealTimer(t, value, interval);
        else armCpuItimer(t, which, BigInt(value), BigInt(interval));
        return 0;
      },
    },
    chroot: {
      args: ['str'],
      handler: (t, a) => {
        if (t.group.creds.euid !== 0) throw new SysError(Errno.EPERM);
        const fs = t.group.fs;
        const p = readPath(t, a.arg(0));
        const vd = fs.vfs.getVd(fs.context(t.group.fds, AT.FDCWD, p), p);
        const probe = fs.vfs.openVd(vd, O.PATH | O.DIRECTORY, fs.context(t.group.fds).creds);
        probe.decRef();
        fs.root = vd;
        return 0;
      },
    },
  });
}
