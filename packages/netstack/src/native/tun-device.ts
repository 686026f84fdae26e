// A Linux TAP device (/dev/net/tun, IFF_TAP | IFF_NO_PI): Ethernet frames in
// and out of a non-blocking file descriptor. Constants are from
// <linux/if_tun.h>, <fcntl.h> and <poll.h>.

import { Errno, SysError } from '../abi.js';
import * as libc from './libc.js';
import { FdFrameDevice, type FrameDevice } from './fd-frame-device.js';

export type { FrameDevice } from './fd-frame-device.js';

const O_RDWR = 0o2;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
/** _IOW('T', 202, int) */
const TUNSETIFF = 0x400454ca;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const IFNAMSIZ = 16;
const IFREQ_SIZE = 40;

/** Creates (or attaches to) TAP interface `name`; needs CAP_NET_ADMIN. */
export function openTapDevice(name: string): FrameDevice {
  if (Buffer.byteLength(name) >= IFNAMSIZ) throw new SysError(Errno.EINVAL, `interface name too long: ${name}`);
  const fd = libc.open('/dev/net/tun', O_RDWR | O_NONBLOCK | O_CLOEXEC) as number;
  if (fd < 0) throw new SysError(libc.lastErrno(), 'open /dev/net/tun');
  const ifr = Buffer.alloc(IFREQ_SIZE);
  ifr.write(name, 0, 'utf8');
  ifr.writeUInt16LE(IFF_TAP | IFF_NO_PI, IFNAMSIZ);
  if ((libc.ioctl(fd, TUNSETIFF, 'uint8_t *', ifr) as number) < 0) {
    const err = libc.lastErrno();
    libc.close(fd);
    throw new SysError(err, `TUNSETIFF ${name}`);
  }
  const actual = ifr.subarray(0, IFNAMSIZ).toString('utf8').replace(/\0.*$/s, '');
  return new FdFrameDevice(fd, actual);
}
