import type { Filesystem, Inode } from '../../inode.js';
import type { StatfsInfo } from '../../stat.js';
import { anonymousDev } from '../tmpfs/filesystem.js';
import {
  DynamicDirectory,
  DynamicFile,
  DynamicSymlink,
  StaticDirectory,
  type DynamicDirectoryOps,
  type DynamicFileOps,
  type NodeAttributes,
  type SymlinkOps,
} from './nodes.js';

/**
 * A framework for synthetic filesystems (procfs, sysfs, ...): a tree of
 * static directories, directories whose children come from callbacks, files
 * whose content is generated at open, and symlinks (including "magic" ones
 * that resolve to an open file). Nothing here knows about processes: the
 * kernel builds /proc and /sys from these pieces.
 */
export class KernfsFilesystem implements Filesystem {
  readonly dev = anonymousDev();
  private readonly rootNode: StaticDirectory;
  private nextIno = 1;

  /** `type` is the name /proc/mounts shows; `magic` is statfs's f_type. */
  constructor(
    readonly type: string,
    private readonly magic: number,
    rootAttrs: NodeAttributes = {},
  ) {
    this.rootNode = new StaticDirectory(this, { perm: 0o555, ...rootAttrs });
  }

  allocIno(): number {
    return this.nextIno++;
  }

  root(): Inode {
    return this.rootNode;
  }

  /** The root directory, to populate. */
  get rootDir(): StaticDirectory {
    return this.rootNode;
  }

  /** A new empty static directory. */
  dir(attrs?: NodeAttributes): StaticDirectory {
    return new StaticDirectory(this, attrs);
  }

  /** A directory with callback-provided children. */
  dynamicDir(ops: DynamicDirectoryOps, attrs?: NodeAttributes): DynamicDirectory {
    return new DynamicDirectory(this, ops, attrs);
  }

  /** A file whose content is produced at each open. */
  file(ops: DynamicFileOps | (() => string | Uint8Array), attrs?: NodeAttributes): DynamicFile {
    return new DynamicFile(this, typeof ops === 'function' ? { read: ops } : ops, attrs);
  }

  /** A symlink with a computed target (and optionally a magic resolution). */
  symlink(ops: SymlinkOps | (() => string), attrs?: NodeAttributes): DynamicSymlink {
    return new DynamicSymlink(this, typeof ops === 'function' ? { target: ops } : ops, attrs);
  }

  statfs(): StatfsInfo {
    return { type: this.magic, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: [0, 0], namelen: 255, frsize: 4096, flags: 0 };
  }

  release(): void {}
}
