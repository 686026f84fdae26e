import { totalmem } from 'node:os';
import { Errno, RUSAGE, SysError, Sysinfo, Tms } from '@tvisor/abi';
import { clockNow } from '../clock.js';
import { groupCpu, nsToTicks, taskCpu } from '../cpu-time.js';
import type { SyscallTable } from '../syscall-table.js';
import { encodeRusage } from '../rusage.js';

/** What the system has and a process used: sysinfo, times, getrusage. */
export function registerRusageSyscalls(table: SyscallTable): void {
  table.register({
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
        const rssKb = () => Math.floor(g.mm.residentBytes() / 1024);
        let out: Uint8Array;
        if (who === RUSAGE.SELF) out = encodeRusage(groupCpu(g), rssKb());
        else if (who === RUSAGE.THREAD) out = encodeRusage(taskCpu(t), rssKb());
        else if (who === RUSAGE.CHILDREN) out = encodeRusage(g.childrenCpu, g.childrenMaxRssKb);
        else throw new SysError(Errno.EINVAL);
        t.mm.copyOut(a.arg(1), out);
        return 0;
      },
    },
  });
}
