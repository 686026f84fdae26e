/**
 * Host fd operations Node does not offer (lseek, the fd's access mode),
 * through koffi: for host fds that serve as a sandboxed process's stdio.
 */
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const lseek_ = libc.func('int64_t lseek(int fd, int64_t offset, int whence)');
const fcntl_ = libc.func('int fcntl(int fd, int cmd, int arg)');

/** lseek(2) on a host fd: the new offset, or -errno. */
export function hostLseek(fd: number, offset: number, whence: number): number {
  const r = Number(lseek_(fd, offset, whence));
  return r < 0 ? -(koffi.errno() as number) : r;
}

/** fcntl(fd, F_GETFL): the file status flags (access mode included), or -errno. */
export function hostStatusFlags(fd: number, getfl: number): number {
  const r = fcntl_(fd, getfl, 0) as number;
  return r < 0 ? -(koffi.errno() as number) : r;
}
