import type { Inode } from './inode.js';

/**
 * A name in the VFS's tree of looked-up names: the VFS caches one dentry per
 * (parent, name) it has resolved, mounts attach to dentries, and the path of
 * a dentry (getcwd, /proc/self/fd) is found by walking `parent` links.
 */
export class Dentry {
  /** Looked-up children by name. Negative lookups are not cached. */
  readonly children = new Map<string, Dentry>();
  /** Number of mounts whose mountpoint is this dentry. */
  mountCount = 0;
  /** Set once the name has been unlinked/removed; the path then reads "... (deleted)". */
  dead = false;

  constructor(
    public name: string,
    public parent: Dentry | null,
    public inode: Inode,
  ) {}

  isRoot(): boolean {
    return this.parent === null;
  }

  /** Is `this` the same as, or below, `ancestor`? */
  isDescendantOf(ancestor: Dentry): boolean {
    if (this === ancestor) return true;
    for (let d = this.parent; d; d = d.parent) if (d === ancestor) return true;
    return false;
  }
}
