import type { TmpfsFilesystem } from './filesystem.js';
import { TmpfsInode } from './inode.js';

/**
 * A fifo, socket or device node. It holds no data: the VFS opens fifos
 * through pipefs and devices through its device registry.
 */
export class TmpfsSpecial extends TmpfsInode {
  constructor(
    fs: TmpfsFilesystem,
    mode: number,
    uid: number,
    gid: number,
    private readonly device: number,
  ) {
    super(fs, mode, uid, gid);
  }

  get size(): number {
    return 0;
  }

  override get rdev(): number {
    return this.device;
  }
}
