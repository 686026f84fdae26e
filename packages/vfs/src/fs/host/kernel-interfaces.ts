import { FS_MAGIC } from '../../abi.js';

/**
 * statfs f_type values of the host kernel's own interface filesystems
 * (linux/magic.h). A host directory tree mounted as the sandbox root often
 * contains mounts of these (/proc, /sys, ...): through them the sandbox
 * could read the sentry's own memory (/proc/self/mem) or host kernel state,
 * so the host filesystem shows their mount points as empty directories
 * unless told otherwise. The sandbox kernel mounts its own /proc and /sys.
 */
export const HOST_KERNEL_INTERFACE_MAGICS: ReadonlySet<number> = new Set([
  FS_MAGIC.PROC_SUPER_MAGIC,
  FS_MAGIC.SYSFS_MAGIC,
  FS_MAGIC.DEBUGFS_MAGIC,
  FS_MAGIC.TRACEFS_MAGIC,
  FS_MAGIC.SECURITYFS_MAGIC,
  FS_MAGIC.BPF_FS_MAGIC,
  FS_MAGIC.CGROUP_SUPER_MAGIC,
  FS_MAGIC.CGROUP2_SUPER_MAGIC,
  FS_MAGIC.CONFIGFS_MAGIC,
  FS_MAGIC.EFIVARFS_MAGIC,
  FS_MAGIC.PSTOREFS_MAGIC,
  FS_MAGIC.FUSE_CTL_SUPER_MAGIC,
  FS_MAGIC.BINFMTFS_MAGIC,
  FS_MAGIC.SELINUX_MAGIC,
  FS_MAGIC.SMACK_MAGIC,
]);
