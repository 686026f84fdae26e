import { S } from '../../abi.js';
import { ROOT_CREDENTIALS } from '../../credentials.js';
import type { DeviceRegistry } from '../../devices.js';
import { makeDev } from '../../stat.js';
import { TmpfsFilesystem, type TmpfsPageAllocator } from '../tmpfs/filesystem.js';
import { MEM_MAJOR, MemoryDevice, registerMemoryDevices } from './memory-devices.js';

/** The device nodes a container's /dev starts with, as runc/gVisor create them. */
const MEMORY_NODES: ReadonlyArray<[string, number]> = [
  ['null', MemoryDevice.NULL],
  ['zero', MemoryDevice.ZERO],
  ['full', MemoryDevice.FULL],
  ['random', MemoryDevice.RANDOM],
  ['urandom', MemoryDevice.URANDOM],
];

/**
 * A devtmpfs-like /dev: a tmpfs (mode 0755) holding the memory device nodes
 * (0666), the /proc/self/fd symlinks (fd, stdin, stdout, stderr) and empty
 * shm (1777) and pts directories. Registers the memory devices in `devices`
 * unless `register` is false (when they are already registered).
 */
export function createDevTmpfs(devices: DeviceRegistry, register = true, pages?: TmpfsPageAllocator): TmpfsFilesystem {
  if (register) registerMemoryDevices(devices);
  const fs = new TmpfsFilesystem({ mode: 0o755, pages });
  const root = fs.root();
  for (const [name, minor] of MEMORY_NODES) {
    root.mknod(name, S.IFCHR | 0o666, makeDev(MEM_MAJOR, minor), ROOT_CREDENTIALS);
  }
  root.symlink('fd', '/proc/self/fd', ROOT_CREDENTIALS);
  root.symlink('stdin', '/proc/self/fd/0', ROOT_CREDENTIALS);
  root.symlink('stdout', '/proc/self/fd/1', ROOT_CREDENTIALS);
  root.symlink('stderr', '/proc/self/fd/2', ROOT_CREDENTIALS);
  root.mkdir('shm', S.IFDIR | 0o1777, ROOT_CREDENTIALS);
  root.mkdir('pts', S.IFDIR | 0o755, ROOT_CREDENTIALS);
  return fs;
}
