// Ethernet frames in and out of a non-blocking file descriptor: a TAP
// device's or an AF_PACKET socket's. Readiness is waited for with poll(2) on
// a koffi worker thread, so the event loop never blocks.

import { Errno, POLL, SysError } from '../abi.js';
import * as libc from './libc.js';

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

/** Room for the largest frame a link hands over (a 64 KiB packet plus the Ethernet header). */
const RX_BUFFER_BYTES = 65536 + 14;

export class FdFrameDevice implements FrameDevice {
  private readonly rxBuf = Buffer.alloc(RX_BUFFER_BYTES);
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
    this.pollFd.writeInt16LE(POLL.IN, 4);
    this.pollFd.writeInt16LE(0, 6);
    return new Promise((resolve) => {
      libc.poll.async(this.pollFd, 1, timeoutMs, (err: unknown, res: number) => {
        resolve(!err && res > 0 && (this.pollFd.readInt16LE(6) & POLL.IN) !== 0);
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
