/** The ioctl request encoding (_IOC_* in <asm-generic/ioctl.h>): direction bits and field layout. */
export const IOC = {
  NONE: 0,
  WRITE: 1,
  READ: 2,
  NRBITS: 8,
  TYPEBITS: 8,
  SIZEBITS: 14,
  DIRBITS: 2,
  NRSHIFT: 0,
  TYPESHIFT: 8,
  SIZESHIFT: 16,
  DIRSHIFT: 30,
} as const;

/**
 * An ioctl request number, like _IOC(dir, type, nr, size). `type` is the
 * magic character or its code; `dir` is IOC.NONE/READ/WRITE or READ|WRITE
 * (READ means the kernel writes to user memory).
 */
export function ioc(dir: number, type: number | string, nr: number, size: number): number {
  const t = typeof type === 'string' ? type.charCodeAt(0) : type;
  return ((dir << IOC.DIRSHIFT) | (size << IOC.SIZESHIFT) | (t << IOC.TYPESHIFT) | (nr << IOC.NRSHIFT)) >>> 0;
}

/** _IOC_DIR(cmd). */
export function iocDir(cmd: number): number {
  return (cmd >>> IOC.DIRSHIFT) & ((1 << IOC.DIRBITS) - 1);
}
/** _IOC_TYPE(cmd). */
export function iocType(cmd: number): number {
  return (cmd >>> IOC.TYPESHIFT) & ((1 << IOC.TYPEBITS) - 1);
}
/** _IOC_NR(cmd). */
export function iocNr(cmd: number): number {
  return (cmd >>> IOC.NRSHIFT) & ((1 << IOC.NRBITS) - 1);
}
/** _IOC_SIZE(cmd): bytes of the argument the request copies. */
export function iocSize(cmd: number): number {
  return (cmd >>> IOC.SIZESHIFT) & ((1 << IOC.SIZEBITS) - 1);
}
