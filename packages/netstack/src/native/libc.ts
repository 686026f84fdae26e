// The libc entry points the TAP device needs, bound with koffi. This
// directory is the only place in the package that calls native code.

import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

export const open = libc.func('int open(const char *path, int flags)');
export const close = libc.func('int close(int fd)');
export const read = libc.func('long read(int fd, _Out_ uint8_t *buf, unsigned long count)');
export const write = libc.func('long write(int fd, const uint8_t *buf, unsigned long count)');
export const ioctl = libc.func('int ioctl(int fd, unsigned long request, ...)');
export const poll = libc.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)');

/** The calling thread's errno after a failed call. */
export function lastErrno(): number {
  return koffi.errno();
}
