// A Linux TAP device (/dev/net/tun, IFF_TAP | IFF_NO_PI): Ethernet frames in
// and out of a non-blocking file descriptor. Constants are from
// <linux/if_tun.h>, <fcntl.h> and <poll.h>.

import { Errno, SysError } from '../abi.js';
import * as libc from './libc.js';

const O_RDWR = 0o2;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
/** _IOW('T', 202, int) */
const TUNSETIFF = 0x400454ca;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const IFNAMSIZ = 16;
const IFREQ_SIZE = 40;
const POLLIN = 0x1;

/** A frame source/sink backed by a file descriptor. */
export interface FrameDevice {
  /** Interface name the kernel gave the device. */
  readonly name: string;
  /** Reads one frame if available (copying it), else null. Throws SysError on hard errors. */
  readFrame(): Uint8Array | null;
  /** Writes one frame; returns false if the device would block (the frame is dropped). */
  writeFrame(frame: Uint8Array): boolean;
  /** Resolves true when a frame may be readable, false after `timeoutMs` without one. */
  waitReadable(timeoutMs: number): Promise<boolean>;
  close(): void;
}

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
  return new TapDevice(fd, actual);
}

class TapDevice implements FrameDevice {
  private readonly rxBuf = Buffer.alloc(65536 + 14);
  private readonly pollFd = Buffer.alloc(8);
  private closed = false;

  constructor(
    private fd: number,
    readonly name: string,
  ) {}

  readFrame(): Uint8Array | null {
    if (this.closed) return null;
    const n = libc.read(this.fd, this.rxBuf, this.rxBuf.length) as number;
    if (n < 0) {
      const err = libc.lastErrno();
      if (err === Errno.EAGAIN || err === Errno.EINTR) return null;
      throw new SysError(err, `read ${this.name}`);
    }
    return new Uint8Array(this.rxBuf.subarray(0, n));
  }

  writeFrame(frame: Uint8Array): boolean {
    if (this.closed) return false;
    const n = libc.write(this.fd, frame, frame.length) as number;
    return n === frame.length;
  }

  waitReadable(timeoutMs: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    // struct pollfd { int fd; short events; short revents; }
    this.pollFd.writeInt32LE(this.fd, 0);
    this.pollFd.writeInt16LE(POLLIN, 4);
    this.pollFd.writeInt16LE(0, 6);
    return new Promise((resolve) => {
      libc.poll.async(this.pollFd, 1, timeoutMs, (err: unknown, res: number) => {
        resolve(!err && res > 0 && (this.pollFd.readInt16LE(6) & POLLIN) !== 0);
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    libc.close(this.fd);
    this.fd = -1;
  }
}
