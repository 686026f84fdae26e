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
  /** The old magic in the flags' top half, which Linux strips (MS_MGC_VAL, MS_MGC_MSK). */
  MGC_VAL: 0xc0ed0000,
  MGC_MSK: 0xffff0000,
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

/**
 * statfs(2) f_type values (linux/magic.h), by their C names. CONFIGFS_MAGIC
 * and FUSE_CTL_SUPER_MAGIC are defined in the kernel's fs/ sources, not in
 * the uapi headers.
 */
export const FS_MAGIC = {
  ANON_INODE_FS_MAGIC: 0x09041934,
  BINFMTFS_MAGIC: 0x42494e4d,
  BPF_FS_MAGIC: 0xcafe4a11,
  CGROUP_SUPER_MAGIC: 0x27e0eb,
  CGROUP2_SUPER_MAGIC: 0x63677270,
  CONFIGFS_MAGIC: 0x62656570,
  DEBUGFS_MAGIC: 0x64626720,
  DEVPTS_SUPER_MAGIC: 0x1cd1,
  EFIVARFS_MAGIC: 0xde5e81e4,
  FUSE_CTL_SUPER_MAGIC: 0x65735543,
  OVERLAYFS_SUPER_MAGIC: 0x794c7630,
  PIPEFS_MAGIC: 0x50495045,
  PROC_SUPER_MAGIC: 0x9fa0,
  MQUEUE_MAGIC: 0x19800202,
  NSFS_MAGIC: 0x6e736673,
  PSTOREFS_MAGIC: 0x6165676c,
  SECURITYFS_MAGIC: 0x73636673,
  SELINUX_MAGIC: 0xf97cff8c,
  SMACK_MAGIC: 0x43415d53,
  SOCKFS_MAGIC: 0x534f434b,
  SYSFS_MAGIC: 0x62656572,
  TMPFS_MAGIC: 0x01021994,
  TRACEFS_MAGIC: 0x74726163,
} as const;
