// Raw bindings to the host's libc through koffi. This directory is the only
// place that talks to the host kernel directly (like gVisor's *_unsafe.go
// files); everything else calls the typed wrappers in host-syscalls.ts.
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

/** x86-64 syscall numbers used through syscall(2) because glibc lacks wrappers. */
export const NR = {
  getdents64: 217,
  openat2: 437,
  fchmodat2: 452,
} as const;

export const raw = {
  /** syscall(SYS_openat2, dirfd, path, struct open_how *, size) */
  openat2: libc.func('long syscall(long nr, int dirfd, const char *path, void *how, size_t size)') as (
    nr: number,
    dirfd: number,
    path: string,
    how: BigUint64Array,
    size: number,
  ) => number,
  /** syscall(SYS_getdents64, fd, buf, count) */
  getdents64: libc.func('syscall', 'long', ['long', 'int', 'void *', 'size_t']) as (nr: number, fd: number, buf: Uint8Array, count: number) => number,
  /** syscall(SYS_fchmodat2, dirfd, path, mode, flags) */
  fchmodat2: libc.func('syscall', 'long', ['long', 'int', 'str', 'uint32', 'int']) as (
    nr: number,
    dirfd: number,
    path: string,
    mode: number,
    flags: number,
  ) => number,
  close: libc.func('int close(int fd)') as (fd: number) => number,
  /** fcntl(fd, cmd, int arg): used for F_DUPFD_CLOEXEC. */
  fcntlInt: libc.func('int fcntl(int fd, int cmd, int arg)') as (fd: number, cmd: number, arg: number) => number,
  pread: libc.func('pread64', 'long', ['int', 'void *', 'size_t', 'int64']) as (fd: number, buf: Uint8Array, count: number, offset: number) => number,
  read: libc.func('long read(int fd, void *buf, size_t count)') as (fd: number, buf: Uint8Array, count: number) => number,
  write: libc.func('long write(int fd, void *buf, size_t count)') as (fd: number, buf: Uint8Array, count: number) => number,
  pwrite: libc.func('pwrite64', 'long', ['int', 'void *', 'size_t', 'int64']) as (fd: number, buf: Uint8Array, count: number, offset: number) => number,
  statx: libc.func('int statx(int dirfd, const char *path, int flags, uint32 mask, void *buf)') as (
    dirfd: number,
    path: string,
    flags: number,
    mask: number,
    buf: Uint8Array,
  ) => number,
  readlinkat: libc.func('long readlinkat(int dirfd, const char *path, void *buf, size_t size)') as (
    dirfd: number,
    path: string,
    buf: Uint8Array,
    size: number,
  ) => number,
  mkdirat: libc.func('int mkdirat(int dirfd, const char *path, uint32 mode)') as (dirfd: number, path: string, mode: number) => number,
  mknodat: libc.func('int mknodat(int dirfd, const char *path, uint32 mode, uint64 dev)') as (dirfd: number, path: string, mode: number, dev: number) => number,
  symlinkat: libc.func('int symlinkat(const char *target, int dirfd, const char *path)') as (target: string, dirfd: number, path: string) => number,
  linkat: libc.func('int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)') as (
    olddirfd: number,
    oldpath: string,
    newdirfd: number,
    newpath: string,
    flags: number,
  ) => number,
  unlinkat: libc.func('int unlinkat(int dirfd, const char *path, int flags)') as (dirfd: number, path: string, flags: number) => number,
  renameat2: libc.func('int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, uint32 flags)') as (
    olddirfd: number,
    oldpath: string,
    newdirfd: number,
    newpath: string,
    flags: number,
  ) => number,
  fchownat: libc.func('int fchownat(int dirfd, const char *path, uint32 uid, uint32 gid, int flags)') as (
    dirfd: number,
    path: string,
    uid: number,
    gid: number,
    flags: number,
  ) => number,
  utimensat: libc.func('int utimensat(int dirfd, const char *path, void *times, int flags)') as (
    dirfd: number,
    path: string,
    times: BigInt64Array,
    flags: number,
  ) => number,
  truncate: libc.func('int truncate64(const char *path, int64 length)') as (path: string, length: number) => number,
  ftruncate: libc.func('int ftruncate64(int fd, int64 length)') as (fd: number, length: number) => number,
  fallocate: libc.func('int fallocate64(int fd, int mode, int64 offset, int64 len)') as (fd: number, mode: number, offset: number, len: number) => number,
  fsync: libc.func('int fsync(int fd)') as (fd: number) => number,
  lseek: libc.func('int64 lseek64(int fd, int64 offset, int whence)') as (fd: number, offset: number, whence: number) => number,
  fstatfs: libc.func('int fstatfs64(int fd, void *buf)') as (fd: number, buf: Uint8Array) => number,
  fgetxattr: libc.func('long fgetxattr(int fd, const char *name, void *value, size_t size)') as (
    fd: number,
    name: string,
    value: Uint8Array | null,
    size: number,
  ) => number,
  fsetxattr: libc.func('int fsetxattr(int fd, const char *name, void *value, size_t size, int flags)') as (
    fd: number,
    name: string,
    value: Uint8Array,
    size: number,
    flags: number,
  ) => number,
  flistxattr: libc.func('long flistxattr(int fd, void *list, size_t size)') as (fd: number, list: Uint8Array | null, size: number) => number,
  fremovexattr: libc.func('int fremovexattr(int fd, const char *name)') as (fd: number, name: string) => number,
  errno: (): number => koffi.errno(),
};
