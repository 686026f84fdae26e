/** statx(2) request/result mask bits. */
export const STATX = {
  TYPE: 0x1,
  MODE: 0x2,
  NLINK: 0x4,
  UID: 0x8,
  GID: 0x10,
  ATIME: 0x20,
  MTIME: 0x40,
  CTIME: 0x80,
  INO: 0x100,
  SIZE: 0x200,
  BLOCKS: 0x400,
  BASIC_STATS: 0x7ff,
  BTIME: 0x800,
  MNT_ID: 0x1000,
  DIOALIGN: 0x2000,
  ALL: 0xfff,
  RESERVED: 0x80000000,
} as const;

/** stx_attributes bits. */
export const STATX_ATTR = {
  COMPRESSED: 0x4,
  IMMUTABLE: 0x10,
  APPEND: 0x20,
  NODUMP: 0x40,
  ENCRYPTED: 0x800,
  AUTOMOUNT: 0x1000,
  MOUNT_ROOT: 0x2000,
  VERITY: 0x100000,
  DAX: 0x200000,
} as const;
