import { Errno, O, SysError } from '@tvisor/abi';
import {
  DynamicFile,
  FileImplBase,
  type FileDescription,
  type FileDescriptionImpl,
  type Inode,
  type KernfsFilesystem,
  type KernfsNode,
  type StaticDirectory,
  type VirtualDentry,
} from '@tvisor/vfs';
import type { Kernel } from '../../kernel.js';
import type { Task, ThreadGroup } from '../../task.js';
import { procStat, procStatus } from './pid-files.js';
import { addPidExtras } from './pid-extras.js';
import { addNamespaceEntries } from './pid-ns.js';
import { procNetDir } from './net.js';
import { ProcessMemoryFile } from './pid-mem.js';
import { VSYSCALL_MAPS_LINE } from '../../vsyscall.js';

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

function auxvBytes(auxv: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const view = new DataView(new ArrayBuffer((auxv.length + 1) * 16));
  auxv.forEach(([type, value], i) => {
    view.setBigUint64(i * 16, BigInt(type), true);
    view.setBigUint64(i * 16 + 8, BigInt(value), true);
  });
  return new Uint8Array(view.buffer);
}

/**
 * A /proc/PID directory (`task` undefined: the process, seen through its
 * leader) or /proc/PID/task/TID (the thread `task`): the same entries, the
 * per-thread ones (stat, status, comm, io) about the thread, and `task/` only
 * in the process's.
 */
export function threadDirectory(fs: KernfsFilesystem, kernel: Kernel, g: ThreadGroup, task?: Task): KernfsNode {
  const thread = (): Task | undefined => task ?? [...g.tasks].find((x) => x.tid === g.pid) ?? [...g.tasks][0];
  const tid = task?.tid ?? g.pid;
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
  dir.add('comm', fs.file({ read: () => `${thread()?.comm ?? g.name}\n`, write: (data) => writeComm(kernel, g, thread(), data) }));
  dir.add(
    'stat',
    fs.file(() => procStat(kernel, g, tid)),
  );
  dir.add(
    'status',
    fs.file(() => procStatus(kernel, g, tid)),
  );
  dir.add('mem', new ProcessMemoryFile(fs, kernel, g));
  dir.add(
    'io',
    fs.file(() => ioText(), { perm: 0o400, owner }),
  );
  dir.add(
    'children',
    fs.file(() => childrenText(g, tid)),
  );
  dir.add('fdinfo', fdinfoDirectory(fs, g, owner));
  dir.add(
    'statm',
    fs.file(() => g.mm.statmText()),
  );
  dir.add(
    'maps',
    fs.file(() => g.mm.mapsText() + VSYSCALL_MAPS_LINE),
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
  addNamespaceEntries(fs, kernel, g, dir);
  if (!task) dir.add('task', taskDirectory(fs, kernel, g));
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

/** /proc/PID/task: one directory per live thread, each a threadDirectory of its own. */
function taskDirectory(fs: KernfsFilesystem, kernel: Kernel, g: ThreadGroup): KernfsNode {
  const dirs = new WeakMap<Task, KernfsNode>();
  const threads = (): Task[] => (g.exitStatus === undefined ? [...g.tasks].filter((t) => !t.exited).sort((a, b) => a.tid - b.tid) : []);
  return fs.dynamicDir(
    {
      list: () => threads().map((t) => String(t.tid)),
      lookup: (name) => {
        const t = /^[1-9][0-9]*$/.test(name) ? threads().find((x) => x.tid === Number(name)) : undefined;
        if (!t) return null;
        let d = dirs.get(t);
        if (!d) dirs.set(t, (d = threadDirectory(fs, kernel, g, t)));
        return d;
      },
    },
    { perm: 0o555 },
  );
}

/** Linux's comm_write: a thread of the writer's own process is renamed (to at most 15 bytes); any other is EINVAL. */
function writeComm(kernel: Kernel, g: ThreadGroup, task: Task | undefined, data: Uint8Array): number {
  if (!task || kernel.current?.group !== g) throw new SysError(Errno.EINVAL);
  let end = data.indexOf(0);
  if (end < 0) end = data.length;
  task.setComm(new TextDecoder().decode(data.subarray(0, Math.min(end, TASK_COMM_LEN - 1))).replace(/\n$/, ''));
  return data.length;
}

const TASK_COMM_LEN = 16;

/** /proc/PID/io: the sandbox does not count a process's I/O, so the counters Linux prints are all 0. */
function ioText(): string {
  return ['rchar', 'wchar', 'syscr', 'syscw', 'read_bytes', 'write_bytes', 'cancelled_write_bytes'].map((k) => `${k}: 0\n`).join('');
}

/** /proc/PID/task/TID/children: the pids of the processes the thread forked, each followed by a space. */
function childrenText(g: ThreadGroup, tid: number): string {
  return [...g.children]
    .filter((c) => c.exitStatus === undefined && (c.parentThread?.tid ?? g.pid) === tid)
    .map((c) => `${c.pid} `)
    .join('');
}

/** /proc/PID/fdinfo: per open fd, its offset, flags (O_LARGEFILE always, O_CLOEXEC from the fd), mount id and inode. */
function fdinfoDirectory(fs: KernfsFilesystem, g: ThreadGroup, owner: () => { uid: number; gid: number }): KernfsNode {
  return fs.dynamicDir(
    {
      list: () => (g.exitStatus === undefined ? g.fds.fds().map(String) : []),
      lookup: (name) => {
        const fd = Number(name);
        if (!/^(0|[1-9][0-9]*)$/.test(name) || g.exitStatus !== undefined || !g.fds.fds().includes(fd)) return null;
        return fs.file(
          () => {
            if (!g.fds.fds().includes(fd)) throw new SysError(Errno.ENOENT);
            const file = g.fds.get(fd);
            const flags = file.statusFlags | O.LARGEFILE | (g.fds.isCloexec(fd) ? O.CLOEXEC : 0);
            return `pos:\t${file.offset}\nflags:\t0${flags.toString(8)}\nmnt_id:\t${file.mount.id}\nino:\t${file.inode.stat().ino}\n`;
          },
          { perm: 0o400, owner },
        );
      },
    },
    { perm: 0o500, owner },
  );
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
