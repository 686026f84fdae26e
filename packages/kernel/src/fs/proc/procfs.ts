import { readFileSync } from 'node:fs';
import { CAP, Errno, FS_MAGIC, SysError } from '@tvisor/abi';
import { MMAP_MIN_ADDR } from '@tvisor/mm';
import { cpus, totalmem } from 'node:os';
import { DEFAULT_MOUNT_MAX, KernfsFilesystem, type DynamicDirectory, type Inode, type KernfsNode } from '@tvisor/vfs';
import type { Kernel } from '../../kernel.js';
import { initialNamespaces, namespacesOf } from '../../namespaces.js';
import type { Task, ThreadGroup } from '../../task.js';
import { clockNow } from '../../clock.js';
import { threadDirectory } from './thread-dir.js';
import { addProcSysNet } from './net.js';
import { hasCapability } from '../../credentials.js';
import { YAMA_SCOPE } from '../../ptrace-access.js';
import { addSysvIpcEntries } from './sysvipc.js';

/**
 * The sandbox's /proc: per-process directories for the sandbox's own
 * processes (never the host's), and the system files programs read. Files
 * are generated at open, from the kernel's state at that moment.
 */
export function createProcfs(kernel: Kernel): KernfsFilesystem {
  const fs = new ProcFilesystem();
  const pidDirs = new WeakMap<ThreadGroup, KernfsNode>();

  const current = (): Task => {
    const t = kernel.current;
    if (!t) throw new Error('procfs used outside a syscall');
    return t;
  };
  // Zombies keep their directory until reaped, as in Linux; every zombie is a child of a live process.
  const liveGroups = (): ThreadGroup[] => {
    const seen = new Set<ThreadGroup>();
    for (const t of kernel.tasks.values()) seen.add(t.group);
    for (const g of [...seen]) for (const c of g.children) if (c.exitStatus !== undefined) seen.add(c);
    return [...seen].sort((a, b) => a.pid - b.pid);
  };

  const top = fs.dynamicDir({
    list: () => liveGroups().map((g) => String(g.pid)),
    lookup: (name) => {
      if (!/^[1-9][0-9]*$/.test(name)) return null;
      // A thread's id names its process's directory too (not listed, as in Linux).
      const g = liveGroups().find((x) => x.pid === Number(name)) ?? kernel.tasks.get(Number(name))?.group;
      if (!g) return null;
      let dir = pidDirs.get(g);
      if (!dir) pidDirs.set(g, (dir = threadDirectory(fs, kernel, g)));
      return dir;
    },
  });
  // The fixed entries live beside the pid directories, as in Linux's /proc.
  const fixed = top.fixed;
  fixed.add(
    'self',
    fs.symlink(() => String(current().group.pid)),
  );
  fixed.add(
    'thread-self',
    fs.symlink(() => `${current().group.pid}/task/${current().tid}`),
  );
  fixed.add(
    'mounts',
    fs.symlink(() => 'self/mounts'),
  );
  fixed.add(
    'version',
    fs.file(() => `Linux version ${kernel.uname.release} (tvisor@tvisor) (TypeScript) ${kernel.uname.version}\n`),
  );
  fixed.add(
    'uptime',
    fs.file(() => {
      const up = Number(clockNow(1)) / 1e9;
      return `${up.toFixed(2)} ${(up * cpus().length).toFixed(2)}\n`;
    }),
  );
  fixed.add(
    'loadavg',
    fs.file(() => `0.00 0.00 0.00 1/${kernel.tasks.size} ${kernel.lastId}\n`),
  );
  fixed.add(
    'meminfo',
    fs.file(() => meminfo(kernel)),
  );
  fixed.add(
    'cpuinfo',
    fs.file(() => cpuinfo()),
  );
  // The boot command line: the sandbox has no bootloader, so it names the kernel only.
  fixed.add(
    'cmdline',
    fs.file(() => 'BOOT_IMAGE=tvisor\n'),
  );
  fixed.add(
    'filesystems',
    fs.file(() => 'nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tcgroup2\nnodev\toverlay\nnodev\tdevtmpfs\nnodev\tpipefs\n'),
  );
  // The device majors of the devices the sandbox has, in Linux's "%3d %s" form.
  fixed.add(
    'devices',
    fs.file(() => 'Character devices:\n  1 mem\n  5 /dev/tty\n  5 /dev/console\n  5 /dev/ptmx\n 10 misc\n136 pts\n\nBlock devices:\n'),
  );
  fixed.add(
    'stat',
    fs.file(() => systemStat(kernel)),
  );
  const sys = fixed.add('sys', fs.dir());
  const kern = sys.add('kernel', fs.dir());
  // The reader's UTS namespace's names (the initial ones when no process asks).
  const utsNames = () => (kernel.current ? namespacesOf(kernel, kernel.current.group) : initialNamespaces(kernel)).uts.names;
  // The UTS names, which root may set here as with sethostname(2) (up to a newline, 64 bytes at most).
  for (const [name, field] of [
    ['hostname', 'nodename'],
    ['domainname', 'domainname'],
  ] as const) {
    kern.add(
      name,
      fs.file(
        {
          read: () => `${utsNames()[field]}\n`,
          write: (data) => {
            const text = new TextDecoder().decode(data).split('\n')[0];
            if (new TextEncoder().encode(text).length > 64) throw new SysError(Errno.EINVAL);
            utsNames()[field] = text;
            return data.length;
          },
        },
        { perm: 0o644 },
      ),
    );
  }
  kern.add(
    'osrelease',
    fs.file(() => `${kernel.uname.release}\n`),
  );
  kern.add(
    'ostype',
    fs.file(() => `${kernel.uname.sysname}\n`),
  );
  kern.add(
    'version',
    fs.file(() => `${kernel.uname.version}\n`),
  );
  kern.add(
    'pid_max',
    fs.file(() => '4194304\n'),
  );
  kern.add(
    'ngroups_max',
    fs.file(() => '65536\n'),
  );
  kern.add(
    'cap_last_cap',
    fs.file(() => '40\n'),
  );
  // The ids a 16-bit uid/gid field shows for ids that do not fit (DEFAULT_OVERFLOWUID/GID).
  kern.add(
    'overflowuid',
    fs.file(() => '65534\n'),
  );
  kern.add(
    'overflowgid',
    fs.file(() => '65534\n'),
  );
  // The sandbox lays out address spaces without randomisation.
  kern.add(
    'randomize_va_space',
    fs.file(() => '0\n'),
  );
  let maxKeys = DEFAULT_MAXKEYS;
  kern.add('keys', fs.dir()).add(
    'maxkeys',
    fs.file({
      read: () => `${maxKeys}\n`,
      write: (data) => {
        maxKeys = parseSysctlInt(data, 0, 0x7fff_ffff);
        return data.length;
      },
    }),
  );
  kern.add('yama', fs.dir()).add('ptrace_scope', fs.file({ read: () => `${kernel.ptraceScope}\n`, write: (data) => writePtraceScope(kernel, data) }));
  kern.add('random', fs.dir()).add(
    'uuid',
    fs.file(() => `${globalThis.crypto.randomUUID()}\n`),
  );
  addSysvIpcEntries(fs, kernel, fixed, kern);
  const vm = sys.add('vm', fs.dir());
  vm.add(
    'overcommit_memory',
    fs.file(() => '0\n'),
  );
  vm.add(
    'mmap_min_addr',
    fs.file(() => `${MMAP_MIN_ADDR}\n`),
  );
  vm.add(
    'max_map_count',
    fs.file(() => '65530\n'),
  );
  const sysFs = sys.add('fs', fs.dir());
  sysFs.add(
    'file-max',
    fs.file(() => '9223372036854775807\n'),
  );
  sysFs.add(
    'mount-max',
    fs.file(() => `${DEFAULT_MOUNT_MAX}\n`),
  );
  // /proc/net is the reader's own namespace's view, as in Linux (a link to self/net).
  fixed.add(
    'net',
    fs.symlink(() => 'self/net'),
  );
  addProcSysNet(fs, sys, kernel);
  fs.top = top;
  return fs;
}

/** procfs's root lists the live processes beside its fixed entries, so it is a dynamic directory. */
class ProcFilesystem extends KernfsFilesystem {
  top: DynamicDirectory | undefined;
  constructor() {
    super('proc', FS_MAGIC.PROC_SUPER_MAGIC);
  }
  override root(): Inode {
    return this.top ?? super.root();
  }
  /**
   * Linux's /proc root is inode 1 (PROC_ROOT_INO). The base class makes an unused
   * static root first (number 1), then the dynamic top (number 2): the two swap.
   */
  override allocIno(): number {
    const n = super.allocIno();
    return n === 1 ? 2 : n === 2 ? 1 : n;
  }
}

function meminfo(kernel: Kernel): string {
  const kb = (n: number) => `${String(Math.floor(n / 1024)).padStart(8)} kB`;
  const total = totalmem();
  const used = kernel.memoryFile.allocatedBytes();
  const free = Math.max(0, total - used);
  const lines: Array<[string, number]> = [
    ['MemTotal', total],
    ['MemFree', free],
    ['MemAvailable', free],
    ['Buffers', 0],
    ['Cached', 0],
    ['SwapCached', 0],
    ['Active', used],
    ['Inactive', 0],
    ['SwapTotal', 0],
    ['SwapFree', 0],
    ['Shmem', 0],
    ['Mapped', used],
  ];
  return lines.map(([k, v]) => `${(k + ':').padEnd(16)}${kb(v)}\n`).join('');
}

let cpuinfoText: string | undefined;
/** The host's CPU description (model and flags tell programs which instructions they may use), as gVisor passes it through. */
function cpuinfo(): string {
  cpuinfoText ??= (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return cpus()
        .map((c, i) => `processor\t: ${i}\nmodel name\t: ${c.model}\n\n`)
        .join('');
    }
  })();
  return cpuinfoText;
}

function systemStat(kernel: Kernel): string {
  const n = cpus().length;
  let out = 'cpu  0 0 0 0 0 0 0 0 0 0\n';
  for (let i = 0; i < n; i++) out += `cpu${i} 0 0 0 0 0 0 0 0 0 0\n`;
  out += `intr 0\nctxt 0\nbtime ${Math.floor(kernel.startTime / 1000)}\nprocesses ${kernel.lastId}\nprocs_running 1\nprocs_blocked 0\n`;
  return out;
}

/** Linux's default /proc/sys/kernel/keys/maxkeys (keys a non-root user may own). */
const DEFAULT_MAXKEYS = 200;

/** A sysctl integer as proc_dointvec_minmax parses it: one decimal number in [min, max], else EINVAL. */
function parseSysctlInt(data: Uint8Array, min: number, max: number): number {
  const text = new TextDecoder().decode(data).trim();
  if (!/^[+-]?[0-9]+$/.test(text)) throw new SysError(Errno.EINVAL);
  const v = Number(text);
  if (v < min || v > max) throw new SysError(Errno.EINVAL);
  return v;
}

/**
 * /proc/sys/kernel/yama/ptrace_scope: 0 to 3, written by a holder of
 * CAP_SYS_PTRACE; once 3 (no attach) it stays so, as Yama locks it.
 */
function writePtraceScope(kernel: Kernel, data: Uint8Array): number {
  const writer = kernel.current;
  if (writer && !hasCapability(writer.creds, CAP.SYS_PTRACE)) throw new SysError(Errno.EPERM);
  const text = new TextDecoder().decode(data).trim();
  if (!/^[0-9]+$/.test(text)) throw new SysError(Errno.EINVAL);
  const scope = Number(text);
  if (scope > YAMA_SCOPE.NO_ATTACH) throw new SysError(Errno.EINVAL);
  if (kernel.ptraceScope === YAMA_SCOPE.NO_ATTACH && scope !== YAMA_SCOPE.NO_ATTACH) throw new SysError(Errno.EINVAL);
  kernel.ptraceScope = scope;
  return data.length;
}
