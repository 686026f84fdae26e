import { Errno, FS_MAGIC, SysError } from '../../abi.js';
import type { Filesystem, Inode } from '../../inode.js';
import type { StatfsInfo } from '../../stat.js';
import { anonymousDev, TmpfsFilesystem } from '../tmpfs/filesystem.js';
import { OverlayInode } from './inode.js';
import { Layer } from './layers.js';

/** OVERLAYFS_SUPER_MAGIC. */
export const OVERLAYFS_MAGIC = FS_MAGIC.OVERLAYFS_SUPER_MAGIC;

export interface OverlayOptions {
  /** Read-only lower layers, top first. */
  lower: Filesystem | Filesystem[];
  /**
   * Writable upper layer; must support whiteouts (mknod of a 0:0 character
   * device) and trusted.* xattrs. A fresh tmpfs by default.
   */
  upper?: Filesystem;
}

/**
 * Overlayfs with Linux's default features (no redirect_dir, no index):
 * copy-up on modification, character-device whiteouts and
 * trusted.overlay.opaque directories in the upper layer, merged readdir.
 * The default root of `runsc do`: a tmpfs upper over the read-only host.
 */
export class OverlayFilesystem implements Filesystem {
  readonly type = 'overlay';
  readonly dev = anonymousDev();
  readonly upper: Filesystem;
  readonly upperLayer: Layer;
  readonly lowerLayers: Layer[];
  private readonly rootInode: OverlayInode;

  constructor(opts: OverlayOptions) {
    const lowers = Array.isArray(opts.lower) ? opts.lower : [opts.lower];
    if (lowers.length === 0) throw new SysError(Errno.EINVAL);
    const lowerRoot = lowers[0].root().stat();
    this.upper = opts.upper ?? new TmpfsFilesystem({ mode: lowerRoot.mode & 0o7777, uid: lowerRoot.uid, gid: lowerRoot.gid });
    this.upperLayer = new Layer(this.upper);
    this.lowerLayers = lowers.map((fs) => new Layer(fs));
    this.rootInode = new OverlayInode(
      this,
      null,
      '',
      this.upper.root(),
      lowers.map((fs) => fs.root()),
    );
  }

  root(): Inode {
    return this.rootInode;
  }

  /** The layer an inode of some layer filesystem belongs to. */
  layerOf(inode: Inode): Layer {
    if (inode.fs === this.upper) return this.upperLayer;
    const l = this.lowerLayers.find((x) => x.fs === inode.fs);
    if (!l) throw new SysError(Errno.EXDEV);
    return l;
  }

  statfs(): StatfsInfo {
    return { ...this.upper.statfs(), type: OVERLAYFS_MAGIC };
  }

  /** The overlay owns its layers: releasing it releases them. */
  release(): void {
    this.upper.release();
    for (const l of this.lowerLayers) l.fs.release();
  }
}
