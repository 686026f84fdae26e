import { Errno, SysError } from './abi.js';
import type { Credentials } from './credentials.js';
import type { FileDescriptionImpl } from './file-description.js';
import type { Inode } from './inode.js';
import { devMajor, devMinor } from './stat.js';

/** Opens a device file: returns the implementation backing the description. */
export type DeviceOpener = (inode: Inode, flags: number, creds: Credentials) => FileDescriptionImpl;

/**
 * Character and block devices by (major, minor): opening a device node on
 * any filesystem dispatches here on the node's rdev, never to the filesystem
 * (so a host device node gives access only to what the sandbox registered).
 */
export class DeviceRegistry {
  private readonly chr = new Map<number, DeviceOpener>();
  private readonly blk = new Map<number, DeviceOpener>();

  private static key(major: number, minor: number): number {
    return major * 0x100000 + minor;
  }

  /** Register a character device. EEXIST if the number is taken. */
  registerChar(major: number, minor: number, open: DeviceOpener): void {
    const k = DeviceRegistry.key(major, minor);
    if (this.chr.has(k)) throw new SysError(Errno.EEXIST);
    this.chr.set(k, open);
  }

  /** Register a block device. EEXIST if the number is taken. */
  registerBlock(major: number, minor: number, open: DeviceOpener): void {
    const k = DeviceRegistry.key(major, minor);
    if (this.blk.has(k)) throw new SysError(Errno.EEXIST);
    this.blk.set(k, open);
  }

  /** Open device `rdev`; ENXIO when nothing is registered there (as Linux). */
  open(kind: 'char' | 'block', rdev: number, inode: Inode, flags: number, creds: Credentials): FileDescriptionImpl {
    const map = kind === 'char' ? this.chr : this.blk;
    const opener = map.get(DeviceRegistry.key(devMajor(rdev), devMinor(rdev)));
    if (!opener) throw new SysError(Errno.ENXIO);
    return opener(inode, flags, creds);
  }
}
