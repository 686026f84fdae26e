import { Errno, S, SysError } from '../../abi.js';
import { STATX } from '../../abi.js';
import type { Credentials } from '../../credentials.js';
import type { FileDescriptionImpl } from '../../file-description.js';
import { InodeBase, type Inode } from '../../inode.js';
import type { VirtualDentry } from '../../mount.js';
import { direntType, nowTimespec, type SetStatRequest, type StatInfo, type Timespec } from '../../stat.js';
import type { KernfsFilesystem } from './filesystem.js';
import { KernfsDirectoryFile, KernfsSnapshotFile } from './files.js';

/** Ownership and permissions of a synthetic node; `owner` is consulted on every stat (e.g. /proc/[pid] follows the task's credentials). */
export interface NodeAttributes {
  /** Permission bits (without the file type). */
  perm?: number;
  uid?: number;
  gid?: number;
  owner?: () => { uid: number; gid: number };
}

/** Common attributes of every kernfs node. */
export abstract class KernfsNode extends InodeBase implements Inode {
  readonly ino: number;
  private readonly created: Timespec = nowTimespec();

  constructor(
    readonly fs: KernfsFilesystem,
    private readonly type: number,
    private readonly attrs: NodeAttributes,
  ) {
    super();
    this.ino = fs.allocIno();
  }

  /** Size reported by stat. */
  protected get size(): number {
    return 0;
  }

  /** Link count reported by stat. */
  protected get nlink(): number {
    return 1;
  }

  get mode(): number {
    return this.type | (this.attrs.perm ?? (this.type === S.IFDIR ? 0o555 : this.type === S.IFLNK ? 0o777 : 0o444));
  }

  stat(): StatInfo {
    const owner = this.attrs.owner?.() ?? { uid: this.attrs.uid ?? 0, gid: this.attrs.gid ?? 0 };
    const t = this.created;
    return {
      mask: STATX.BASIC_STATS,
      dev: this.fs.dev,
      ino: this.ino,
      mode: this.mode,
      nlink: this.nlink,
      uid: owner.uid,
      gid: owner.gid,
      rdev: 0,
      size: this.size,
      blksize: 1024,
      blocks: 0,
      atime: t,
      mtime: t,
      ctime: t,
      btime: t,
    };
  }

  /** Synthetic files keep their attributes. */
  setStat(): void {
    throw new SysError(Errno.EPERM);
  }

  open(_flags: number, _creds: Credentials): FileDescriptionImpl {
    throw new SysError(Errno.ENXIO);
  }
}

/** A directory whose children are added and removed by code. */
export class StaticDirectory extends KernfsNode {
  private readonly children = new Map<string, KernfsNode>();

  constructor(fs: KernfsFilesystem, attrs: NodeAttributes = {}) {
    super(fs, S.IFDIR, attrs);
  }

  /** Add (or replace) child `name`; returns the child for chaining. */
  add<T extends KernfsNode>(name: string, node: T): T {
    if (name === '' || name === '.' || name === '..' || name.includes('/')) throw new SysError(Errno.EINVAL);
    this.children.set(name, node);
    return node;
  }

  /** Remove child `name` (ENOENT if absent). */
  remove(name: string): void {
    if (!this.children.delete(name)) throw new SysError(Errno.ENOENT);
  }

  protected override get nlink(): number {
    let n = 2;
    for (const c of this.children.values()) if (c instanceof StaticDirectory || c instanceof DynamicDirectory) n++;
    return n;
  }

  override lookup(name: string): Inode {
    const c = this.children.get(name);
    if (!c) throw new SysError(Errno.ENOENT);
    return c;
  }

  /** Names and nodes, in insertion order. */
  entries(): Array<[string, KernfsNode]> {
    return [...this.children];
  }

  override open(): FileDescriptionImpl {
    return new KernfsDirectoryFile(this, () => this.entries());
  }
}

/** Callbacks of a directory whose children are computed on demand (e.g. /proc's pid directories). */
export interface DynamicDirectoryOps {
  /** Names of the current children, in listing order. */
  list(): string[];
  /** The child `name`, or null if there is none now. */
  lookup(name: string): KernfsNode | null;
}

/** A directory whose children come from callbacks, optionally alongside fixed ones. */
export class DynamicDirectory extends KernfsNode {
  readonly fixed: StaticDirectory;

  constructor(
    fs: KernfsFilesystem,
    private readonly ops: DynamicDirectoryOps,
    attrs: NodeAttributes = {},
  ) {
    super(fs, S.IFDIR, attrs);
    this.fixed = new StaticDirectory(fs, attrs);
  }

  protected override get nlink(): number {
    return 2;
  }

  override lookup(name: string): Inode {
    try {
      return this.fixed.lookup(name);
    } catch {
      const c = this.ops.lookup(name);
      if (!c) throw new SysError(Errno.ENOENT);
      return c;
    }
  }

  entries(): Array<[string, KernfsNode]> {
    const out = this.fixed.entries();
    for (const name of this.ops.list()) {
      const c = this.ops.lookup(name);
      if (c) out.push([name, c]);
    }
    return out;
  }

  override open(): FileDescriptionImpl {
    return new KernfsDirectoryFile(this, () => this.entries());
  }
}

/** Callbacks of a synthetic regular file. */
export interface DynamicFileOps {
  /** Produce the whole content; called once per open (reads see that snapshot, like seq_file). */
  read(): string | Uint8Array;
  /** Handle a write of `data` at `offset`; returns bytes consumed. Absent = read-only (EACCES/EINVAL). */
  write?(data: Uint8Array, offset: number): number;
  /** st_size to report (0 by default, as procfs does). */
  size?: number;
}

/** A regular file whose content is generated at open. */
export class DynamicFile extends KernfsNode {
  constructor(
    fs: KernfsFilesystem,
    readonly ops: DynamicFileOps,
    attrs: NodeAttributes = {},
  ) {
    super(fs, S.IFREG, { perm: ops.write ? 0o644 : 0o444, ...attrs });
  }

  protected override get size(): number {
    return this.ops.size ?? 0;
  }

  /**
   * A writable one accepts truncation and time updates (and ignores them),
   * as Linux's procfs and sysfs do, so the shell's `echo 1 > /proc/...`
   * (O_TRUNC) works; mode and owner stay fixed (EPERM).
   */
  override setStat(req: SetStatRequest = {}): void {
    if (this.ops.write && req.mode === undefined && req.uid === undefined && req.gid === undefined) return;
    super.setStat();
  }

  override open(flags: number): FileDescriptionImpl {
    const acc = flags & 3;
    if (acc !== 0 && !this.ops.write) throw new SysError(Errno.EACCES);
    // Only produce content when the file is opened for reading.
    const content = acc === 1 ? new Uint8Array(0) : toBytes(this.ops.read());
    return new KernfsSnapshotFile(this, content);
  }
}

/** Callbacks of a synthetic symlink. */
export interface SymlinkOps {
  /** The link text readlink(2) returns. */
  target(): string;
  /** For magic links (/proc/self/fd/N, /proc/self/exe): the file itself, bypassing the text. */
  resolve?(): VirtualDentry | null;
}

/** A symlink whose target comes from a callback. */
export class DynamicSymlink extends KernfsNode {
  constructor(
    fs: KernfsFilesystem,
    private readonly ops: SymlinkOps,
    attrs: NodeAttributes = {},
  ) {
    super(fs, S.IFLNK, attrs);
  }

  override readlink(): string {
    return this.ops.target();
  }

  resolveLink(): VirtualDentry | null {
    return this.ops.resolve?.() ?? null;
  }
}

export function toBytes(v: string | Uint8Array): Uint8Array {
  return typeof v === 'string' ? new TextEncoder().encode(v) : v;
}

/** d_type of a kernfs node. */
export function nodeType(n: KernfsNode): number {
  return direntType(n.mode);
}
