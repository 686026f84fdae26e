import { Errno, SysError } from '../../abi.js';
import type { DeviceRegistry } from '../../devices.js';
import { FileImplBase, type FileDescription } from '../../file-description.js';
import type { Inode } from '../../inode.js';

/** Major number of the memory devices (drivers/char/mem.c). */
export const MEM_MAJOR = 1;
export const MemoryDevice = { NULL: 3, ZERO: 5, FULL: 7, RANDOM: 8, URANDOM: 9 } as const;

/** /dev/null: reads end immediately, writes vanish, seeks stay at 0. */
export class NullFile extends FileImplBase {
  override read(): number {
    return 0;
  }
  override pread(): number {
    return 0;
  }
  override write(_fd: FileDescription, src: Uint8Array): number {
    return src.length;
  }
  override pwrite(_fd: FileDescription, src: Uint8Array): number {
    return src.length;
  }
  override seek(fd: FileDescription): number {
    fd.offset = 0;
    return 0;
  }
}

/** /dev/zero: endless zeros; writes vanish; lseek is a no-op returning the offset. */
export class ZeroFile extends FileImplBase {
  override read(_fd: FileDescription, dst: Uint8Array): number {
    dst.fill(0);
    return dst.length;
  }
  override pread(fd: FileDescription, dst: Uint8Array): number {
    return this.read(fd, dst);
  }
  override write(_fd: FileDescription, src: Uint8Array): number {
    return src.length;
  }
  override pwrite(_fd: FileDescription, src: Uint8Array): number {
    return src.length;
  }
  override seek(fd: FileDescription): number {
    return fd.offset;
  }
}

/** /dev/full: reads give zeros, every write fails with ENOSPC. */
export class FullFile extends ZeroFile {
  override write(_fd: FileDescription, src: Uint8Array): number {
    if (src.length === 0) return 0;
    throw new SysError(Errno.ENOSPC);
  }
  override pwrite(fd: FileDescription, src: Uint8Array): number {
    return this.write(fd, src);
  }
  override seek(fd: FileDescription): number {
    fd.offset = 0;
    return 0;
  }
}

/** getRandomValues accepts at most this many bytes per call. */
const RANDOM_CHUNK = 65536;

/**
 * /dev/random and /dev/urandom: bytes from the platform CSPRNG
 * (globalThis.crypto, available in Node and browsers). Writes are accepted
 * and ignored, like mixing into the pool without crediting entropy.
 */
export class RandomFile extends FileImplBase {
  override read(_fd: FileDescription, dst: Uint8Array): number {
    for (let off = 0; off < dst.length; off += RANDOM_CHUNK) {
      globalThis.crypto.getRandomValues(dst.subarray(off, Math.min(dst.length, off + RANDOM_CHUNK)));
    }
    return dst.length;
  }
  override pread(fd: FileDescription, dst: Uint8Array): number {
    return this.read(fd, dst);
  }
  override write(_fd: FileDescription, src: Uint8Array): number {
    return src.length;
  }
  override pwrite(_fd: FileDescription, src: Uint8Array): number {
    return src.length;
  }
  override seek(fd: FileDescription): number {
    return fd.offset;
  }
}

/** Register null, zero, full, random and urandom in `registry`. */
export function registerMemoryDevices(registry: DeviceRegistry): void {
  const reg = (minor: number, make: (inode: Inode) => FileImplBase) => registry.registerChar(MEM_MAJOR, minor, (inode) => make(inode));
  reg(MemoryDevice.NULL, (i) => new NullFile(i));
  reg(MemoryDevice.ZERO, (i) => new ZeroFile(i));
  reg(MemoryDevice.FULL, (i) => new FullFile(i));
  reg(MemoryDevice.RANDOM, (i) => new RandomFile(i));
  reg(MemoryDevice.URANDOM, (i) => new RandomFile(i));
}
