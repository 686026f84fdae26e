import type { Dentry } from './dentry.js';
import type { Filesystem } from './inode.js';
import type { PeerGroup } from './propagation.js';

/** Per-mount flags (MS_RDONLY etc. as booleans). */
export interface MountFlags {
  readOnly?: boolean;
  noExec?: boolean;
  noSuid?: boolean;
  noDev?: boolean;
}

/** One mount: a filesystem subtree (`root`) attached at `mountpoint` in `parent`. */
export class Mount {
  /** Mounts attached to dentries of this mount, by mountpoint dentry. */
  readonly children = new Map<Dentry, Mount>();
  /** Open file descriptions and other users pinning this mount (umount -> EBUSY). */
  refs = 0;
  /** The peer group this mount shares mount events with (MS_SHARED), if any. */
  group: PeerGroup | null = null;
  /** The peer group this mount receives mount events from (MS_SLAVE), if any. */
  master: PeerGroup | null = null;
  /** What mount(2) was given as the source ("none" for NULL), shown by /proc/PID/mountinfo; null for the filesystem's type. */
  source: string | null = null;
  /** MS_UNBINDABLE: may not be the source of a bind mount. */
  unbindable = false;
  /** Unique id, as in /proc/self/mountinfo. */
  readonly id: number;
  private static nextId = 1;

  constructor(
    readonly fs: Filesystem,
    readonly root: Dentry,
    public flags: MountFlags,
    public parent: Mount | null,
    public mountpoint: Dentry | null,
  ) {
    this.id = Mount.nextId++;
  }

  get readOnly(): boolean {
    return this.flags.readOnly === true;
  }
}

/** A (mount, dentry) pair: a location in the mount tree, like Linux's struct path. */
export interface VirtualDentry {
  readonly mount: Mount;
  readonly dentry: Dentry;
}

export function sameVd(a: VirtualDentry, b: VirtualDentry): boolean {
  return a.mount === b.mount && a.dentry === b.dentry;
}
