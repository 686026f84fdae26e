import { S } from '../../abi.js';
import type { TmpfsFilesystem } from './filesystem.js';
import { TmpfsInode } from './inode.js';

/** A tmpfs symbolic link; its size is the target's length in bytes. */
export class TmpfsSymlink extends TmpfsInode {
  private readonly byteLength: number;

  constructor(
    fs: TmpfsFilesystem,
    readonly target: string,
    uid: number,
    gid: number,
  ) {
    super(fs, S.IFLNK | 0o777, uid, gid);
    this.byteLength = new TextEncoder().encode(target).length;
  }

  get size(): number {
    return this.byteLength;
  }

  override readlink(): string {
    this.touchAccessed();
    return this.target;
  }
}
