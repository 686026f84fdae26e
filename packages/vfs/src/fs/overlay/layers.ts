import { O, S } from '../../abi.js';
import { ROOT_CREDENTIALS, type Credentials } from '../../credentials.js';
import { Dentry } from '../../dentry.js';
import { FileDescription } from '../../file-description.js';
import type { Filesystem, Inode } from '../../inode.js';
import { Mount } from '../../mount.js';
import type { DirEntryInfo } from '../../dirents.js';

/**
 * Access to one layer's inodes outside the mount tree: open them through a
 * private mount so the regular FileDescription machinery can read
 * directories and file data during merges and copy-up.
 */
export class Layer {
  private readonly mount: Mount;

  constructor(readonly fs: Filesystem) {
    this.mount = new Mount(fs, new Dentry('/', null, fs.root()), {}, null, null);
  }

  /** Open `inode` of this layer with `flags`, as `creds`. */
  open(inode: Inode, flags: number, creds: Credentials = ROOT_CREDENTIALS): FileDescription {
    const dentry = new Dentry('', null, inode);
    return new FileDescription({ mount: this.mount, dentry }, inode.open(flags, creds), flags, creds);
  }

  /** Entries of directory `inode`, without "." and "..". */
  list(inode: Inode): DirEntryInfo[] {
    const fd = this.open(inode, O.RDONLY | O.DIRECTORY);
    try {
      return fd.getdents().filter((d) => d.name !== '.' && d.name !== '..');
    } finally {
      fd.decRef();
    }
  }
}

/** Overlayfs whiteouts are character devices 0:0 in the upper layer. */
export function isWhiteout(inode: Inode): boolean {
  const st = inode.stat();
  return (st.mode & S.IFMT) === S.IFCHR && st.rdev === 0;
}

/** The xattr marking an upper directory opaque (hiding lower entries). */
export const OPAQUE_XATTR = 'trusted.overlay.opaque';
/** Prefix of overlay-private xattrs, never shown through the overlay. */
export const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';

export function isOpaque(inode: Inode): boolean {
  try {
    const v = inode.getxattr(OPAQUE_XATTR);
    return v.length === 1 && v[0] === 0x79; // "y"
  } catch {
    return false;
  }
}
