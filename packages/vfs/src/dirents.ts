import { DT } from './abi.js';
import { seekWithoutEnd, type Dirent, type DirentCallback, type FileDescription } from './file-description.js';

/** A directory entry without its cookie. */
export interface DirEntryInfo {
  name: string;
  ino: number;
  type: number;
}

/** The "." and ".." entries of the directory open as `fd`, as Linux lists them first. */
export function dotEntries(fd: FileDescription): DirEntryInfo[] {
  const self = fd.dentry;
  const parent = fd.dentry === fd.mount.root ? mountParentDentry(fd) : (self.parent ?? self);
  return [
    { name: '.', ino: self.inode.stat().ino, type: DT.DIR },
    { name: '..', ino: parent.inode.stat().ino, type: DT.DIR },
  ];
}

function mountParentDentry(fd: FileDescription) {
  const m = fd.mount;
  if (m.parent && m.mountpoint) return m.mountpoint.parent ?? m.mountpoint;
  return fd.dentry;
}

/**
 * Directory reading over a listing snapshotted when reading starts at
 * offset 0 (like gVisor's gofer directories): cookies are positions in the
 * snapshot, so they stay valid however the directory changes meanwhile.
 */
export function iterSnapshot(fd: FileDescription, list: () => DirEntryInfo[], cb: DirentCallback): void {
  let snap = fd.dirState as DirEntryInfo[] | undefined;
  if (!snap || fd.offset === 0) {
    snap = [...dotEntries(fd), ...list()];
    fd.dirState = snap;
  }
  while (fd.offset < snap.length) {
    const e = snap[fd.offset];
    const d: Dirent = { name: e.name, ino: e.ino, type: e.type, nextOff: fd.offset + 1 };
    if (!cb(d)) return;
    fd.offset++;
  }
}

/** lseek on a directory: only absolute and relative positions, never negative. */
export function seekDirectory(fd: FileDescription, offset: number, whence: number): number {
  const pos = seekWithoutEnd(fd, offset, whence);
  if (pos === 0) fd.dirState = undefined;
  return pos;
}
