/**
 * Terminal ioctls on the host's stdio fds, through koffi. The sandbox's
 * fds 0-2 are sentry objects that forward to these host fds; the app never
 * holds a host fd.
 */
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const ioctl_ = libc.func('int ioctl(int fd, unsigned long request, uint8_t *arg)');

/** ioctl(hostFd, request, buf) with `buf` as the in/out argument; returns -errno on failure. */
export function hostIoctl(hostFd: number, request: number, buf: Uint8Array): number {
  const rc = ioctl_(hostFd, request, buf) as number;
  return rc < 0 ? -(koffi.errno() as number) : rc;
}
