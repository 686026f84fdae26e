/**
 * @tvisor/vfs: a VFS2-style virtual filesystem with Linux semantics. This
 * entry is platform-neutral (no Node or koffi imports); the host-backed
 * filesystem lives in `@tvisor/vfs/host`.
 */
export * from './credentials.js';
export { Dentry } from './dentry.js';
export { DeviceRegistry, type DeviceOpener } from './devices.js';
export { dotEntries, iterSnapshot, seekDirectory, type DirEntryInfo } from './dirents.js';
export {
  FileDescription,
  FileImplBase,
  PathFileImpl,
  genericSeek,
  seekWithoutEnd,
  MAX_OFFSET,
  SETTABLE_STATUS_FLAGS,
  type Dirent,
  type DirentCallback,
  type FileDescriptionImpl,
} from './file-description.js';
export { InodeBase, type Filesystem, type Inode } from './inode.js';
export { Watch, Watches, asOneSyscall, type WatchOwner } from './fsnotify.js';
export { Mount, sameVd, type MountFlags, type VirtualDentry } from './mount.js';
export { DEFAULT_MOUNT_MAX, MountTree } from './mount-tree.js';
export { PeerGroup, makePrivate, makeShared, makeSlave, makeUnbindable, propagationFields } from './propagation.js';
export { ALWAYS_READY, WaiterQueue, exclusiveWaiter, type ReadinessCallback } from './readiness.js';
export { MAX_SYMLINKS, NAME_MAX, PATH_MAX, PathResolver, type ParentAndName, type PathContext } from './resolve.js';
export * from './stat.js';
export { MNT_DETACH, VirtualFilesystem, type FifoOpener, type OpenOptions } from './vfs.js';
export * from './fs/tmpfs/index.js';
export * from './fs/overlay/index.js';
export * from './fs/pipefs/index.js';
export * from './fs/dev/index.js';
export * from './fs/kernfs/index.js';
export { FileLocks, LOCK_CHANGED, lockRange, type LockOwner, type RecordLock } from './locks.js';
