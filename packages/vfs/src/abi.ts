// The ABI names this package uses, all from @tvisor/abi (one import site, so
// SysError identity is shared with the kernel).
export { ACCESS, AT, CAP, DT, Errno, F, FS_MAGIC, IN, LOCK, O, POLL, RENAME, RESOLVE, S, SEEK, STATX, SysError, UTIME, XATTR, FALLOC_FL } from '@tvisor/abi';
