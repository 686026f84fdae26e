// Ethernet frames in and out of a non-blocking file descriptor: a TAP
// device's or an AF_PACKET socket's. Readiness is waited for with poll(2) on
// a koffi worker thread, so the event loop never blocks.

import { Errno, POLL, SysError, VIRTIO_NET_HDR, VirtioNetHdr } from '../abi.js';
import { ETHERNET_HEADER_LEN } from '../wire/ethernet.js';
import { IPV6_HEADER_LEN } from '../wire/ipv6.js';
import * as libc from './libc.js';

/** Where a TCP header keeps its checksum. */
const TCP_CHECKSUM_OFFSET = 16;

/** A frame source/sink backed by a file descriptor. */
export interface FrameDevice {
  /** Interface name the kernel gave the device. */
  readonly name: string;
  /** Reads one frame if available (copying it), else null. Throws SysError on hard errors. */
  readFrame(): Uint8Array | null;
  /** Whether the frame readFrame() last returned needs no transport checksum check. */
  readonly checksumVerified?: boolean;
  /** Writes one frame (for the host kernel to segment, if `gsoSize`); returns false if the device would block (the frame is dropped). */
  writeFrame(frame: Uint8Array, gsoSize?: number): boolean;
  /** The largest IP packet writeFrame takes with a gsoSize (only with a virtio_net_hdr); absent if none. */
  readonly gsoMaxSize?: number;
  /** Resolves true when a frame may be readable, false after `timeoutMs` without one. */
  waitReadable(timeoutMs: number): Promise<boolean>;
  close(): void;
}

/** Room for the largest frame a link hands over (a 64 KiB packet plus the Ethernet header). */
const MAX_FRAME_BYTES = 65536 + 14;

/** What readFrame() sets checksumVerified from: the host kernel checked the checksum, or made the frame and left it to an offload. */
const CHECKSUM_VOUCHED = VIRTIO_NET_HDR.F_NEEDS_CSUM | VIRTIO_NET_HDR.F_DATA_VALID;

export class FdFrameDevice implements FrameDevice {
  /** With `vnetHdr`, a struct virtio_net_hdr precedes each frame in both directions (PACKET_VNET_HDR). */
  private readonly hdrLen: number;
  private readonly rxBuf: Buffer;
  private readonly txBuf: Buffer | undefined;
  private readonly pollFd = Buffer.alloc(8);
  private closed = false;
  checksumVerified = false;
  readonly gsoMaxSize: number | undefined;
  private readonly txHdr: DataView | undefined;

  constructor(
    private fd: number,
    readonly name: string,
    vnetHdr = false,
  ) {
    this.hdrLen = vnetHdr ? VirtioNetHdr.size : 0;
    this.rxBuf = Buffer.alloc(this.hdrLen + MAX_FRAME_BYTES);
    // Outgoing frames carry a zeroed header (finished checksum, no GSO): the copy behind it is reused.
    this.txBuf = vnetHdr ? Buffer.alloc(this.hdrLen + MAX_FRAME_BYTES) : undefined;
    this.txHdr = this.txBuf && new DataView(this.txBuf.buffer, this.txBuf.byteOffset, this.hdrLen);
    this.gsoMaxSize = vnetHdr ? 0xffff : undefined;
  }

  readFrame(): Uint8Array | null {
    if (this.closed) return null;
    const n = libc.read(this.fd, this.rxBuf, this.rxBuf.length) as number;
    if (n < 0) {
      const err = libc.lastErrno();
      if (err === Errno.EAGAIN || err === Errno.EINTR) return null;
      throw new SysError(err, `read ${this.name}`);
    }
    if (n < this.hdrLen) return null;
    // virtio_net_hdr.flags is its first byte.
    this.checksumVerified = this.hdrLen > 0 && (this.rxBuf[0] & CHECKSUM_VOUCHED) !== 0;
    return new Uint8Array(this.rxBuf.subarray(this.hdrLen, n));
  }

  writeFrame(frame: Uint8Array, gsoSize = 0): boolean {
    if (this.closed) return false;
    if (!this.txBuf || !this.txHdr) return (libc.write(this.fd, frame, frame.length) as number) === frame.length;
    if (frame.length > MAX_FRAME_BYTES) return false;
    this.txBuf.set(frame, this.hdrLen);
    if (gsoSize > 0) {
      // A TCP packet after the Ethernet header: the host cuts it into segments and finishes each checksum.
      const v6 = frame[ETHERNET_HEADER_LEN] >> 4 === 6;
      const tcpAt = ETHERNET_HEADER_LEN + (v6 ? IPV6_HEADER_LEN : (frame[ETHERNET_HEADER_LEN] & 0x0f) * 4);
      VirtioNetHdr.encode(this.txHdr, 0, {
        flags: VIRTIO_NET_HDR.F_NEEDS_CSUM,
        gso_type: v6 ? VIRTIO_NET_HDR.GSO_TCPV6 : VIRTIO_NET_HDR.GSO_TCPV4,
        hdr_len: tcpAt + (frame[tcpAt + 12] >> 4) * 4,
        gso_size: gsoSize,
        csum_start: tcpAt,
        csum_offset: TCP_CHECKSUM_OFFSET,
      });
    } else {
      // A finished frame: no offload asked.
      this.txBuf.fill(0, 0, this.hdrLen);
    }
    const len = this.hdrLen + frame.length;
    return (libc.write(this.fd, this.txBuf, len) as number) === len;
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
