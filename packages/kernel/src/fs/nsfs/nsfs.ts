// nsfs: the files /proc/PID/ns/* resolve to. Each namespace is one inode
// (its number is what `stat` and readlink's `kind:[N]` show, the same for
// every process in it); an open one is a handle setns(2) accepts.
import { Errno, FS_MAGIC, S, SysError } from '@tvisor/abi';
import {
  Dentry,
  FileImplBase,
  InodeBase,
  Mount,
  nowTimespec,
  type FileDescriptionImpl,
  type Filesystem,
  type Inode,
  type StatfsInfo,
  type StatInfo,
  type VirtualDentry,
} from '@tvisor/vfs';
import type { Namespace } from '../../namespaces.js';
import type { UserNamespace } from '../../user-namespace.js';

/** Anything /proc/PID/ns names: a namespace of the nsproxy or a user namespace. */
export type AnyNamespace = Namespace | UserNamespace;

class NsFilesystem implements Filesystem {
  readonly type = 'nsfs';
  /** Linux's nsfs is an unnamed device; 0:4 is the number it gets at boot. */
  readonly dev = 4;
  private readonly top: NsInode;
  constructor() {
    this.top = new NsInode(this, undefined, 1);
  }
  root(): Inode {
    return this.top;
  }
  statfs(): StatfsInfo {
    return { type: FS_MAGIC.NSFS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: [0, 0], namelen: 255, frsize: 4096, flags: 0 };
  }
  release(): void {}
}

/** One namespace's inode: a read-only regular file (mode 0444, as Linux's nsfs shows it). */
class NsInode extends InodeBase implements Inode {
  private readonly created = nowTimespec();
  constructor(
    readonly fs: Filesystem,
    readonly namespace: AnyNamespace | undefined,
    private readonly ino: number,
  ) {
    super();
  }
  stat(): StatInfo {
    const t = this.created;
    return {
      mask: 0x7ff,
      dev: this.fs.dev,
      ino: this.ino,
      mode: S.IFREG | 0o444,
      nlink: 1,
      uid: 0,
      gid: 0,
      rdev: 0,
      size: 0,
      blksize: 4096,
      blocks: 0,
      atime: t,
      mtime: t,
      ctime: t,
      btime: t,
    };
  }
  setStat(): void {
    throw new SysError(Errno.EPERM);
  }
  open(): FileDescriptionImpl {
    if (!this.namespace) throw new SysError(Errno.ENXIO);
    return new NamespaceFileImpl(this, this.namespace);
  }
}

/** An open namespace file: no data (read is EINVAL), only the namespace it holds. */
export class NamespaceFileImpl extends FileImplBase {
  constructor(
    inode: Inode,
    readonly namespace: AnyNamespace,
  ) {
    super(inode);
  }
}

let nsMount: Mount | undefined;
const inodes = new WeakMap<AnyNamespace, NsInode>();

/** Where /proc/PID/ns/KIND leads: the namespace's inode, named `kind:[inode]` as readlink shows it. */
export function namespaceDentry(kind: string, ns: AnyNamespace): VirtualDentry {
  if (!nsMount) {
    const fs = new NsFilesystem();
    nsMount = new Mount(fs, new Dentry('/', null, fs.root()), {}, null, null);
  }
  let inode = inodes.get(ns);
  if (!inode) inodes.set(ns, (inode = new NsInode(nsMount.fs, ns, ns.inode)));
  return { mount: nsMount, dentry: new Dentry(namespaceLinkText(kind, ns), null, inode) };
}

/** readlink(/proc/PID/ns/KIND). */
export function namespaceLinkText(kind: string, ns: AnyNamespace): string {
  return `${kind}:[${ns.inode}]`;
}
