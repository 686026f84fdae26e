/** mount(2) flags (MS_RDONLY -> MOUNT.RDONLY; the group MS is msync's). */
export const MOUNT = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  REMOUNT: 32,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOSYMFOLLOW: 256,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  SILENT: 32768,
  POSIXACL: 1 << 16,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  KERNMOUNT: 1 << 22,
  I_VERSION: 1 << 23,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
} as const;

/** umount2(2) flags (MNT_FORCE...; NOFOLLOW is UMOUNT_NOFOLLOW). */
export const MNT = { FORCE: 1, DETACH: 2, EXPIRE: 4, NOFOLLOW: 8 } as const;

/** statfs f_flags / statvfs f_flag bits (ST_*). */
export const ST = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  MANDLOCK: 64,
  WRITE: 128,
  APPEND: 256,
  IMMUTABLE: 512,
  NOATIME: 1024,
  NODIRATIME: 2048,
  RELATIME: 4096,
} as const;

/** Page size of x86-64 Linux. */
export const PAGE_SIZE = 4096;

/** statfs(2) f_type of the synthetic filesystems the sentry provides (linux/magic.h). */
export const FS_MAGIC = {
  PROC: 0x9fa0,
  SYSFS: 0x62656572,
  CGROUP2: 0x63677270,
} as const;
