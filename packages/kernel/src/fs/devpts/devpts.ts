import { Errno, FS_MAGIC, O, S, SysError } from '@tvisor/abi';
import { KernfsFilesystem, KernfsNode, makeDev, type DynamicDirectory, type Inode, type StatInfo } from '@tvisor/vfs';
import type { Kernel } from '../../kernel.js';
import type { Task } from '../../task.js';
import { MasterFile, ReplicaFile } from '../../tty/terminal-file.js';
import { Terminal } from '../../tty/terminal.js';

/** UNIX98_PTY_SLAVE_MAJOR: /dev/pts/N is char 136:N. */
export const PTS_MAJOR = 136;
/** TTYAUX_MAJOR: /dev/tty is 5:0, /dev/ptmx 5:2. */
export const TTYAUX_MAJOR = 5;
export const TTY_MINOR = 0;
export const PTMX_MINOR = 2;
/** The tty group, which owns /dev/pts/N (grantpt's convention). */
const TTY_GID = 5;
/** Linux's default pty limit (kernel.pty.max). */
const PTY_MAX = 4096;

/** /dev/pts/N: a character device node whose number opens the pty's replica. */
class PtsNode extends KernfsNode {
  constructor(
    fs: KernfsFilesystem,
    readonly term: Terminal,
    readonly uid: number,
  ) {
    super(fs, S.IFCHR, { perm: 0o620, uid, gid: TTY_GID });
  }

  override stat(): StatInfo {
    return { ...super.stat(), rdev: makeDev(PTS_MAJOR, this.term.index) };
  }
}

/**
 * The sandbox's devpts: ptys made by opening /dev/ptmx (or /dev/pts/ptmx)
 * appear here as N while either end is open, and /dev/tty opens the
 * caller's controlling terminal. Registers char devices 5:0, 5:2 and
 * 136:N in the kernel's device registry.
 */
export class Devpts extends KernfsFilesystem {
  private readonly ptys = new Map<number, PtsNode>();
  private readonly registeredMinors = new Set<number>();
  private readonly top: DynamicDirectory;

  constructor(private readonly kernel: Kernel) {
    super('devpts', FS_MAGIC.DEVPTS_SUPER_MAGIC, { perm: 0o755 });
    const ptmx = new PtmxNode(this);
    this.top = this.dynamicDir(
      {
        list: () => [...this.ptys.keys()].sort((a, b) => a - b).map(String),
        lookup: (name) => (/^(0|[1-9][0-9]*)$/.test(name) ? (this.ptys.get(Number(name)) ?? null) : null),
      },
      { perm: 0o755 },
    );
    this.top.fixed.add('ptmx', ptmx);
    const devices = kernel.root.vfs.devices;
    devices.registerChar(TTYAUX_MAJOR, PTMX_MINOR, (inode, flags) => this.openMaster(inode, flags));
    devices.registerChar(TTYAUX_MAJOR, TTY_MINOR, (inode, flags) => {
      const tty = kernel.current?.group.tty;
      if (!tty) throw new SysError(Errno.ENXIO);
      return this.openReplica(inode, tty, flags | O.NOCTTY);
    });
  }

  override root(): Inode {
    return this.top;
  }

  /** A cached /dev/pts/N is stale once its pty is gone (or the number went to a new one). */
  revalidate(parent: Inode, name: string, child: Inode): boolean {
    if (parent !== this.top || !(child instanceof PtsNode)) return true;
    return this.ptys.get(Number(name)) === child;
  }

  /** A new pty (its master's side is the caller's): the lowest free number, locked until unlockpt. */
  allocate(uid = 0): Terminal {
    let index = 0;
    while (this.ptys.has(index)) index++;
    if (index >= PTY_MAX) throw new SysError(Errno.ENOSPC);
    const term = new Terminal(this.kernel, index);
    const node = new PtsNode(this, term, uid);
    this.ptys.set(index, node);
    term.onRelease = term.onMasterGone = () => {
      if (this.ptys.get(index) === node) this.ptys.delete(index);
    };
    if (!this.registeredMinors.has(index)) {
      this.registeredMinors.add(index);
      this.kernel.root.vfs.devices.registerChar(PTS_MAJOR, index, (inode, flags) => {
        const n = this.ptys.get(index);
        if (!n) throw new SysError(Errno.ENXIO);
        if (n.term.locked) throw new SysError(Errno.EIO);
        return this.openReplica(inode, n.term, flags);
      });
    }
    return term;
  }

  /** The node of pty `index` (for a console, whose replica is opened by the sentry itself). */
  node(index: number): Inode {
    const n = this.ptys.get(index);
    if (!n) throw new SysError(Errno.ENOENT);
    return n;
  }

  private openMaster(inode: Inode, _flags: number): MasterFile {
    const task = this.kernel.current;
    const term = this.allocate(task?.creds.euid ?? 0);
    return new MasterFile(inode, term, (t, flags) => this.openPeer(t, term, flags));
  }

  /**
   * Opens a replica: a session leader without a controlling terminal that
   * opens it without O_NOCTTY makes it its controlling terminal.
   */
  openReplica(inode: Inode, term: Terminal, flags: number): ReplicaFile {
    if (term.hungUp) throw new SysError(Errno.EIO);
    const file = new ReplicaFile(inode, term);
    if (!(flags & O.NOCTTY)) term.maybeAcquire(this.kernel.current);
    return file;
  }

  /** TIOCGPTPEER: the replica opened for the master's holder, with `flags` (O_RDWR, O_NOCTTY, O_CLOEXEC, ...). */
  private openPeer(task: Task, term: Terminal, flags: number): number {
    const allowed = O.ACCMODE | O.NOCTTY | O.NONBLOCK | O.CLOEXEC;
    if (flags & ~allowed) throw new SysError(Errno.EINVAL);
    const fs = task.group.fs;
    const file = fs.vfs.openAt(fs.context(task), `/dev/pts/${term.index}`, { flags: flags & ~O.CLOEXEC });
    return task.group.fds.add(file, (flags & O.CLOEXEC) !== 0);
  }
}

/** /dev/pts/ptmx: another way to /dev/ptmx (Docker links /dev/ptmx here). */
class PtmxNode extends KernfsNode {
  constructor(fs: KernfsFilesystem) {
    super(fs, S.IFCHR, { perm: 0o666 });
  }

  override stat(): StatInfo {
    return { ...super.stat(), rdev: makeDev(TTYAUX_MAJOR, PTMX_MINOR) };
  }
}
