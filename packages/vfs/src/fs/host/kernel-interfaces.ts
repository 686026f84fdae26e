/**
 * statfs f_type values of the host kernel's own interface filesystems
 * (linux/magic.h). A host directory tree mounted as the sandbox root often
 * contains mounts of these (/proc, /sys, ...): through them the sandbox
 * could read the sentry's own memory (/proc/self/mem) or host kernel state,
 * so the host filesystem shows their mount points as empty directories
 * unless told otherwise. The sandbox kernel mounts its own /proc and /sys.
 */
export const HOST_KERNEL_INTERFACE_MAGICS: ReadonlySet<number> = new Set([
  0x9fa0, // proc
  0x62656572, // sysfs
  0x64626720, // debugfs
  0x74726163, // tracefs
  0x73636673, // securityfs
  0xcafe4a11, // bpf
  0x27e0eb, // cgroup
  0x63677270, // cgroup2
  0x62656570, // configfs
  0xde5e81e0, // efivarfs
  0x6165676c, // pstore
  0x65735543, // fusectl
  0x42494e4d, // binfmt_misc
  0xf97cff8c, // selinuxfs
  0x43415d53, // smackfs
]);
