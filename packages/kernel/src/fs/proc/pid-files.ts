import type { Kernel } from '../../kernel.js';
import type { ThreadGroup } from '../../task.js';
import { groupCpu, nsToTicks } from '../../cpu-time.js';
import { SIG_IGN } from '../../signals.js';
import { filterCount } from '../../seccomp.js';
import { formatCapabilities } from '../../credentials.js';
import { cpuListText, defaultSchedState, statPriority } from '../../sched-state.js';

const PAGE = 4096;

/** One-letter state for /proc/PID/stat and status: R running, S sleeping (parked in a syscall), T stopped (job control), Z zombie. */
function state(kernel: Kernel, g: ThreadGroup): [string, string] {
  if (g.exitStatus !== undefined) return ['Z', 'zombie'];
  if (g.jobStop.state !== 'running') return ['T', 'stopped'];
  for (const t of g.tasks) if (kernel.blocked.has(t)) return ['S', 'sleeping'];
  return ['R', 'running'];
}

/** /proc/PID/stat: the 52 fields of proc(5), those the sentry does not track as 0; with `tid`, a thread's (/proc/PID/task/TID/stat). */
export function procStat(kernel: Kernel, g: ThreadGroup, tid = g.pid): string {
  const s = g.exitStatus === undefined ? g.mm.stats() : undefined;
  const startTicks = Math.floor(((g.startedAt - kernel.startTime) / 1000) * 100);
  const cpu = groupCpu(g);
  const sched = (kernel.tasks.get(tid) ?? [...g.tasks][0])?.sched ?? defaultSchedState();
  const fields = [
    tid,
    `(${g.name})`,
    state(kernel, g)[0],
    g.parent?.pid ?? 0,
    g.pgid,
    g.sid,
    0,
    -1,
    0x400000,
    0,
    0,
    0,
    0,
    nsToTicks(cpu.user),
    nsToTicks(cpu.system),
    nsToTicks(g.childrenCpu.user),
    nsToTicks(g.childrenCpu.system),
    statPriority(sched),
    sched.nice,
    g.tasks.size,
    0,
    startTicks,
    s?.vmSize ?? 0,
    Math.floor((s?.rss ?? 0) / PAGE),
    '18446744073709551615',
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    g.exitSignal,
    0,
    sched.priority,
    sched.policy,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ];
  return fields.join(' ') + '\n';
}

/** /proc/PID/status, the fields programs look for; with `tid`, a thread's (/proc/PID/task/TID/status). */
export function procStatus(kernel: Kernel, g: ThreadGroup, tid = g.pid): string {
  const s = g.exitStatus === undefined ? g.mm.stats() : undefined;
  const kb = (n: number | undefined) => `${String(Math.floor((n ?? 0) / 1024)).padStart(8)} kB`;
  const c = g.creds;
  const sigmask = (v: bigint) => v.toString(16).padStart(16, '0');
  const [letter, word] = state(kernel, g);
  const affinity = ((kernel.tasks.get(tid) ?? [...g.tasks][0])?.sched ?? defaultSchedState()).affinity;
  return [
    `Name:\t${g.name}`,
    'Umask:\t' + g.fs.umask.toString(8).padStart(4, '0'),
    `State:\t${letter} (${word})`,
    `Tgid:\t${g.pid}`,
    'Ngid:\t0',
    `Pid:\t${tid}`,
    `PPid:\t${g.parent?.pid ?? 0}`,
    `TracerPid:\t${kernel.tasks.get(tid)?.ptrace?.tracer.tid ?? 0}`,
    `Uid:\t${c.uid}\t${c.euid}\t${c.suid}\t${c.fsuid}`,
    `Gid:\t${c.gid}\t${c.egid}\t${c.sgid}\t${c.fsgid}`,
    `FDSize:\t${g.fds.limit}`,
    `Groups:\t${c.groups.join(' ')}`,
    `NStgid:\t${g.pid}`,
    `NSpid:\t${tid}`,
    `NSpgid:\t${g.pgid}`,
    `NSsid:\t${g.sid}`,
    `VmSize:\t${kb(s?.vmSize)}`,
    `VmLck:\t${kb(s?.locked)}`,
    `VmRSS:\t${kb(s?.rss)}`,
    `RssAnon:\t${kb(s?.rssAnon)}`,
    `RssFile:\t${kb(s?.rssShared)}`,
    `VmData:\t${kb(s?.data)}`,
    `VmStk:\t${kb(s?.stack)}`,
    `VmExe:\t${kb(s?.text)}`,
    `Threads:\t${g.tasks.size}`,
    `SigPnd:\t${sigmask(0n)}`,
    `ShdPnd:\t${sigmask(g.signals.pending)}`,
    `SigBlk:\t${sigmask([...g.tasks][0]?.blocked ?? 0n)}`,
    `SigIgn:\t${sigmask(g.signals.actions.reduce((m, a, i) => (i > 0 && a.handler === SIG_IGN ? m | (1n << BigInt(i - 1)) : m), 0n))}`,
    `SigCgt:\t${sigmask(g.signals.actions.reduce((m, a, i) => (i > 0 && a.handler > 1n ? m | (1n << BigInt(i - 1)) : m), 0n))}`,
    `CapInh:\t${formatCapabilities(c.inheritable)}`,
    `CapPrm:\t${formatCapabilities(c.permitted)}`,
    `CapEff:\t${formatCapabilities(c.effective)}`,
    `CapBnd:\t${formatCapabilities(c.bounding)}`,
    `CapAmb:\t${formatCapabilities(c.ambient)}`,
    `NoNewPrivs:\t${g.noNewPrivs ? 1 : 0}`,
    `Seccomp:\t${[...g.tasks][0]?.seccomp?.mode ?? 0}`,
    `Seccomp_filters:\t${filterCount([...g.tasks][0]?.seccomp?.filter)}`,
    `Cpus_allowed:\t${affinity.toString(16)}`,
    `Cpus_allowed_list:\t${cpuListText(affinity)}`,
    'voluntary_ctxt_switches:\t0',
    'nonvoluntary_ctxt_switches:\t0',
    '',
  ].join('\n');
}
