import { readFileSync } from 'node:fs';
import { CAP, Errno, FS_MAGIC, SysError } from '@tvisor/abi';
import { cpus, totalmem } from 'node:os';
import {
  DynamicFile,
  FileImplBase,
  KernfsFilesystem,
  type DynamicDirectory,
  type FileDescription,
  type FileDescriptionImpl,
  type Inode,
  type KernfsNode,
  type StaticDirectory,
  type VirtualDentry,
} from '@tvisor/vfs';
import type { Kernel } from '../../kernel.js';
import type { Task, ThreadGroup } from '../../task.js';
import { clockNow } from '../../clock.js';
import { hasCapability } from '../../credentials.js';
import { YAMA_SCOPE } from '../../ptrace-access.js';
import { procStat, procStatus } from './pid-files.js';
import { addPidExtras } from './pid-extras.js';
import { addProcSysNet, procNetDir } from './net.js';
import { addSysvIpcEntries } from './sysvipc.js';

/**
 * The sandbox's /proc: per-process directories for the sandbox's own
 * processes (never the host's), and the system files programs read. Files
 * are generated at open, from the kernel's state at that moment.
 */
export function createProcfs(kernel: Kernel): KernfsFilesystem {
  const fs = new ProcFilesystem();
  const pidDirs = new Map<ThreadGroup, KernfsNode>();

  const current = (): Task => {
    const t = kernel.current;
    if (!t) throw new Error('procfs used outside a syscall');
    return t;
  };
  const liveGroups = (): ThreadGroup[] => {
    const seen = new Set<ThreadGroup>();
    for (const t of kernel.tasks.values()) seen.add(t.group);
    return [...seen].sort((a, b) => a.pid - b.pid);
  };

  const top = fs.dynamicDir({
    list: () => liveGroups().map((g) => String(g.pid)),
    lookup: (name) => {
      if (!/^[1-9][0-9]*$/.test(name)) return null;
      const g = liveGroups().find((x) => x.pid === Number(name));
      if (!g) return null;
      let dir = pidDirs.get(g);
      if (!dir) pidDirs.set(g, (dir = pidDirectory(fs, kernel, g)));
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
  fixed.add(
    'stat',
    fs.file(() => systemStat(kernel)),
  );
  const sys = fixed.add('sys', fs.dir());
  const kern = sys.add('kernel', fs.dir());
  // The UTS names, which root may set here as with sethostname(2) (up to a newline, 64 bytes at most).
  for (const [name, field] of [
    ['hostname', 'nodename'],
    ['domainname', 'domainname'],
  ] as const) {
    kern.add(
      name,
      fs.file(
        {
          read: () => `${kernel.uname[field]}\n`,
          write: (data) => {
            const text = new TextDecoder().decode(data).split('\n')[0];
            if (new TextEncoder().encode(text).length > 64) throw new SysError(Errno.EINVAL);
            kernel.uname[field] = text;
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
    'max_map_count',
    fs.file(() => '65530\n'),
  );
  sys.add('fs', fs.dir()).add(
    'file-max',
    fs.file(() => '9223372036854775807\n'),
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

/**
 * A synthetic file whose content is produced at its first read (Linux's
 * /proc/PID/cmdline reads the process's memory when read), then served from
 * that snapshot like seq_file.
 */
class ReadTimeFile extends DynamicFile {
  override open(flags: number): FileDescriptionImpl {
    if ((flags & 3) !== 0) throw new SysError(Errno.EACCES);
    return new ReadTimeFileImpl(this, () => this.ops.read());
  }
}

class ReadTimeFileImpl extends FileImplBase {
  private content: Uint8Array | undefined;

  constructor(
    inode: Inode,
    private readonly produce: () => string | Uint8Array,
  ) {
    super(inode);
  }

  override pread(_fd: FileDescription, dst: Uint8Array, offset: number): number {
    this.content ??= ((v) => (typeof v === 'string' ? new TextEncoder().encode(v) : v))(this.produce());
    if (offset >= this.content.length) return 0;
    const n = Math.min(dst.length, this.content.length - offset);
    dst.set(this.content.subarray(offset, offset + n));
    return n;
  }
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
}

function auxvBytes(auxv: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const view = new DataView(new ArrayBuffer((auxv.length + 1) * 16));
  auxv.forEach(([type, value], i) => {
    view.setBigUint64(i * 16, BigInt(type), true);
    view.setBigUint64(i * 16 + 8, BigInt(value), true);
  });
  return new Uint8Array(view.buffer);
}

function pidDirectory(fs: KernfsFilesystem, kernel: Kernel, g: ThreadGroup): KernfsNode {
  const owner = () => ({ uid: g.creds.uid, gid: g.creds.gid });
  const dir: StaticDirectory = fs.dir({ owner });
  const memoryText = (start: number, end: number): Uint8Array => {
    if (g.exitStatus !== undefined || end <= start) return new Uint8Array(0);
    try {
      return g.mm.copyIn(start, end - start);
    } catch {
      return new Uint8Array(0);
    }
  };
  // Read at the first read, not at open: a shell opens them for a command
  // before it execs, and the command must see its own arguments.
  dir.add('cmdline', new ReadTimeFile(fs, { read: () => memoryText(g.mmInfo.argStart, g.mmInfo.argEnd) }));
  // The auxiliary vector as exec wrote it, with its AT_NULL (what gdb reads to find a PIE's load address).
  dir.add('auxv', new ReadTimeFile(fs, { read: () => auxvBytes(g.mmInfo.auxv) }, { perm: 0o400, owner }));
  dir.add('environ', new ReadTimeFile(fs, { read: () => memoryText(g.mmInfo.envStart, g.mmInfo.envEnd) }, { perm: 0o400, owner }));
  dir.add(
    'comm',
    fs.file(() => `${g.name}\n`),
  );
  dir.add(
    'stat',
    fs.file(() => procStat(kernel, g)),
  );
  dir.add(
    'status',
    fs.file(() => procStatus(kernel, g)),
  );
  dir.add(
    'statm',
    fs.file(() => g.mm.statmText()),
  );
  dir.add(
    'maps',
    fs.file(() => g.mm.mapsText()),
  );
  dir.add(
    'smaps',
    fs.file(() => g.mm.smapsText()),
  );
  // The executable as resolved at exec, named by its absolute path (glibc's
  // _dl_get_origin asserts it starts with '/'), not the path execve was given.
  const exe = (): VirtualDentry => {
    if (!g.mmInfo.exe) throw new SysError(Errno.ENOENT);
    return g.mmInfo.exe;
  };
  dir.add('exe', fs.symlink({ target: () => pathIn(kernel, g, exe()), resolve: () => exe() }));
  dir.add('cwd', fs.symlink({ target: () => pathIn(kernel, g, g.fs.cwd), resolve: () => g.fs.cwd }));
  dir.add('root', fs.symlink({ target: () => pathIn(kernel, g, g.fs.root), resolve: () => g.fs.root }));
  dir.add('net', procNetDir(fs, kernel));
  dir.add(
    'loginuid',
    fs.file(() => '4294967295'),
  );
  dir.add(
    'limits',
    fs.file(() => limitsText(g)),
  );
  dir.add(
    'fd',
    fs.dynamicDir(
      {
        list: () => (g.exitStatus === undefined ? g.fds.fds().map(String) : []),
        lookup: (name) => {
          const fd = Number(name);
          if (!/^(0|[1-9][0-9]*)$/.test(name) || !g.fds.fds().includes(fd)) return null;
          return fs.symlink(
            {
              target: () => fdTarget(kernel, g, fd),
              resolve: () => g.fds.get(fd).vd,
            },
            { perm: 0o700, owner },
          );
        },
      },
      { perm: 0o500, owner },
    ),
  );
  addPidExtras(fs, kernel, g, dir);
  return dir;
}

function pathIn(kernel: Kernel, g: ThreadGroup, vd: VirtualDentry): string {
  const { path, reachable, deleted } = g.fs.vfs.pathOf(vd, (kernel.current ?? [...g.tasks][0])?.group.fs.root ?? g.fs.root);
  return (reachable ? path : `(unreachable)${path}`) + (deleted ? ' (deleted)' : '');
}

/** What readlink(/proc/PID/fd/N) says: the file's path, or `type:[inode]` for anonymous files (pipes). */
function fdTarget(kernel: Kernel, g: ThreadGroup, fd: number): string {
  // A cached entry for an fd closed since: gone, as on Linux.
  if (!g.fds.fds().includes(fd)) throw new SysError(Errno.ENOENT);
  const file = g.fds.get(fd);
  if (file.dentry.parent === null && file.dentry.name.includes(':[')) return file.dentry.name;
  // A memfd lives on a kernel-internal mount: Linux shows it from that mount's root, as deleted.
  if (kernel.memfds.owns(file)) return `/${file.dentry.name} (deleted)`;
  return pathIn(kernel, g, file.vd);
}

function limitsText(g: ThreadGroup): string {
  const names: Array<[string, string]> = [
    ['Max cpu time', 'seconds'],
    ['Max file size', 'bytes'],
    ['Max data size', 'bytes'],
    ['Max stack size', 'bytes'],
    ['Max core file size', 'bytes'],
    ['Max resident set', 'bytes'],
    ['Max processes', 'processes'],
    ['Max open files', 'files'],
    ['Max locked memory', 'bytes'],
    ['Max address space', 'bytes'],
    ['Max file locks', 'locks'],
    ['Max pending signals', 'signals'],
    ['Max msgqueue size', 'bytes'],
    ['Max nice priority', ''],
    ['Max realtime priority', ''],
    ['Max realtime timeout', 'us'],
  ];
  const fmt = (v: bigint) => (v === 0xffff_ffff_ffff_ffffn ? 'unlimited' : v.toString());
  let out = `${'Limit'.padEnd(26)}${'Soft Limit'.padEnd(21)}${'Hard Limit'.padEnd(21)}Units     \n`;
  names.forEach(([n, unit], i) => {
    const [soft, hard] = g.rlimits[i];
    out += `${n.padEnd(26)}${fmt(soft).padEnd(21)}${fmt(hard).padEnd(21)}${unit.padEnd(10)}\n`;
  });
  return out;
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
