import { FS_MAGIC } from '@tvisor/abi';
import { KernfsFilesystem } from '@tvisor/vfs';
import { groupCpu } from '../../cpu-time.js';
import type { Kernel } from '../../kernel.js';
import type { ThreadGroup } from '../../task.js';
import { cpuCount, cpuList } from './sysfs.js';

/**
 * The cgroup v2 view at /sys/fs/cgroup: the sandbox is the root of its own
 * hierarchy (/proc/PID/cgroup says `0::/`), with the limits it runs under.
 * Runtimes read cpu.max and memory.max to size thread pools and heaps; the
 * sandbox sets no limit of its own, so they say `max`, and the usage files
 * report what the sandbox's processes use.
 */
export function createCgroupfs(kernel: Kernel): KernfsFilesystem {
  const fs = new KernfsFilesystem('cgroup2', FS_MAGIC.CGROUP2_SUPER_MAGIC, { perm: 0o555 });
  const top = fs.rootDir;
  const groups = (): ThreadGroup[] => {
    const seen = new Set<ThreadGroup>();
    for (const t of kernel.tasks.values()) seen.add(t.group);
    return [...seen].sort((a, b) => a.pid - b.pid);
  };
  const all = cpuList(cpuCount());
  const files: Record<string, () => string> = {
    'cgroup.controllers': () => 'cpuset cpu memory pids\n',
    'cgroup.subtree_control': () => '\n',
    'cgroup.type': () => 'domain\n',
    'cgroup.procs': () =>
      groups()
        .map((g) => `${g.pid}\n`)
        .join(''),
    'cgroup.threads': () =>
      [...kernel.tasks.values()]
        .map((t) => t.tid)
        .sort((a, b) => a - b)
        .map((t) => `${t}\n`)
        .join(''),
    'cgroup.max.depth': () => 'max\n',
    'cgroup.max.descendants': () => 'max\n',
    'cgroup.events': () => 'populated 1\nfrozen 0\n',
    'cgroup.freeze': () => '0\n',
    'cpu.max': () => 'max 100000\n',
    'cpu.weight': () => '100\n',
    'cpu.stat': () => cpuStat(groups()),
    'cpuset.cpus.effective': () => `${all}\n`,
    'cpuset.mems.effective': () => '0\n',
    'memory.max': () => 'max\n',
    'memory.high': () => 'max\n',
    'memory.low': () => '0\n',
    'memory.min': () => '0\n',
    'memory.swap.max': () => 'max\n',
    'memory.current': () => `${kernel.memoryFile.allocatedBytes()}\n`,
    'memory.swap.current': () => '0\n',
    'pids.max': () => 'max\n',
    'pids.current': () => `${kernel.tasks.size}\n`,
  };
  for (const [name, read] of Object.entries(files)) top.add(name, fs.file(read));
  return fs;
}

/** cpu.stat: CPU time of the sandbox's processes, live ones and those reaped. */
function cpuStat(groups: ThreadGroup[]): string {
  let user = 0n;
  let system = 0n;
  for (const g of groups) {
    const c = groupCpu(g);
    user += c.user + g.childrenCpu.user;
    system += c.system + g.childrenCpu.system;
  }
  const us = (ns: bigint) => ns / 1000n;
  return `usage_usec ${us(user + system)}\nuser_usec ${us(user)}\nsystem_usec ${us(system)}\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n`;
}
