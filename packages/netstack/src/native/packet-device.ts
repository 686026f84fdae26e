// An AF_PACKET socket bound to one interface: whole Ethernet frames in and
// out of a link the host kernel keeps no addresses on (gVisor's fdbased
// endpoint). The socket may be made inside another network namespace: the
// calling thread enters it only for socket(2)/bind(2), since a socket stays
// in the namespace it was created in.

import { AF, CLONE, ETHTOOL, ETH_P, EthtoolValue, IFNAMSIZ, Ifreq, O, PACKET, SIOC, SO, SOCK, SOL, SockaddrLl, SysError, Errno } from '../abi.js';
import { FdFrameDevice, type FrameDevice } from './fd-frame-device.js';
import * as libc from './libc.js';

/** Receive buffer asked for on the AF_PACKET socket (the kernel doubles it for its bookkeeping). */
const RX_SOCKET_BUFFER_BYTES = 8 << 20;

/** An AF_PACKET frame device with the link's own MAC address and MTU. */
export interface PacketDevice extends FrameDevice {
  /** The interface's hardware address, as the host kernel reports it. */
  readonly mac: Uint8Array;
  /** The interface's MTU (the largest packet after the Ethernet header). */
  readonly mtu: number;
}

function fail(what: string, cleanup: number[] = []): never {
  const err = libc.lastErrno();
  for (const fd of cleanup) libc.close(fd);
  throw new SysError(err || Errno.EIO, what);
}

/** Runs `body` with the calling thread in network namespace `path` (a /proc/PID/ns/net or /run/netns/NAME file). */
function inNetns<T>(path: string | undefined, body: () => T): T {
  if (!path) return body();
  const self = libc.open('/proc/thread-self/ns/net', O.RDONLY | O.CLOEXEC) as number;
  if (self < 0) fail('open /proc/thread-self/ns/net');
  const target = libc.open(path, O.RDONLY | O.CLOEXEC) as number;
  if (target < 0) fail(`open ${path}`, [self]);
  if ((libc.setns(target, CLONE.NEWNET) as number) < 0) fail(`setns ${path}`, [self, target]);
  libc.close(target);
  try {
    return body();
  } finally {
    // Failing to come back would leave the sentry's thread in the sandbox's namespace.
    if ((libc.setns(self, CLONE.NEWNET) as number) < 0) fail('setns back to the original network namespace', [self]);
    libc.close(self);
  }
}

function ifreq(name: string, union: Uint8Array = new Uint8Array(24)): Buffer {
  const buf = Buffer.alloc(Ifreq.size);
  Ifreq.encode(new DataView(buf.buffer, buf.byteOffset, buf.length), 0, { ifr_name: name, ifr_ifru: union });
  return buf;
}

function checkName(name: string): void {
  if (Buffer.byteLength(name) >= IFNAMSIZ || name.length === 0) throw new SysError(Errno.EINVAL, `bad interface name: ${JSON.stringify(name)}`);
}

/**
 * Opens an AF_PACKET socket on interface `name` (in network namespace
 * `netns` if given; needs CAP_NET_RAW there). The socket skips frames the
 * host kernel itself sends on the link (PACKET_IGNORE_OUTGOING), so the stack
 * sees only what arrives from the wire. Each frame comes with its
 * virtio_net_hdr (PACKET_VNET_HDR): a peer with segmentation offload on (a
 * veth's other end) hands over whole GSO segments, up to 64 KiB of TCP in
 * one read instead of 45 MTU-sized frames, with the checksum left partial;
 * the header says so, and that the host kernel made or checked it.
 */
export function openPacketDevice(name: string, netns?: string): PacketDevice {
  checkName(name);
  return inNetns(netns, () => {
    const proto = ((ETH_P.ALL & 0xff) << 8) | (ETH_P.ALL >> 8); // htons
    const fd = libc.socket(AF.PACKET, SOCK.RAW | SOCK.NONBLOCK | SOCK.CLOEXEC, proto) as number;
    if (fd < 0) fail('socket(AF_PACKET)');
    const index = libc.ifNameToIndex(name) as number;
    if (index === 0) fail(`no interface ${name}`, [fd]);
    const addr = Buffer.alloc(SockaddrLl.size);
    SockaddrLl.encode(new DataView(addr.buffer, addr.byteOffset, addr.length), 0, {
      sll_family: AF.PACKET,
      sll_protocol: ETH_P.ALL,
      sll_ifindex: index,
      sll_hatype: 0,
      sll_pkttype: 0,
      sll_halen: 0,
      sll_addr: new Uint8Array(8),
    });
    if ((libc.bind(fd, addr, addr.length) as number) < 0) fail(`bind AF_PACKET to ${name}`, [fd]);
    const one = Buffer.alloc(4);
    one.writeInt32LE(1);
    if ((libc.setsockopt(fd, SOL.PACKET, PACKET.IGNORE_OUTGOING, one, 4) as number) < 0) fail('PACKET_IGNORE_OUTGOING', [fd]);
    if ((libc.setsockopt(fd, SOL.PACKET, PACKET.VNET_HDR, one, 4) as number) < 0) fail('PACKET_VNET_HDR', [fd]);
    // The sentry reads frames only between the syscalls it serves: a burst
    // from the host must wait in the socket, whose default buffer (about
    // 200 KiB, a few dozen frames once each skb's overhead counts) drops it.
    // SO_RCVBUFFORCE passes rmem_max (needs CAP_NET_ADMIN); else as much as
    // SO_RCVBUF allows.
    const rcvbuf = Buffer.alloc(4);
    rcvbuf.writeInt32LE(RX_SOCKET_BUFFER_BYTES);
    if ((libc.setsockopt(fd, SOL.SOCKET, SO.RCVBUFFORCE, rcvbuf, 4) as number) < 0) libc.setsockopt(fd, SOL.SOCKET, SO.RCVBUF, rcvbuf, 4);
    const hw = ifreq(name);
    if ((libc.ioctl(fd, SIOC.GIFHWADDR, 'uint8_t *', hw) as number) < 0) fail(`SIOCGIFHWADDR ${name}`, [fd]);
    const mtuReq = ifreq(name);
    if ((libc.ioctl(fd, SIOC.GIFMTU, 'uint8_t *', mtuReq) as number) < 0) fail(`SIOCGIFMTU ${name}`, [fd]);
    // ifr_hwaddr is a struct sockaddr: sa_family, then the address bytes; ifr_mtu is an int.
    const mac = new Uint8Array(hw.subarray(IFNAMSIZ + 2, IFNAMSIZ + 8));
    const mtu = mtuReq.readInt32LE(IFNAMSIZ);
    return Object.assign(new FdFrameDevice(fd, name, true), { mac, mtu });
  });
}

/**
 * Turns off transmit checksum offload (and with it TSO/GSO) on interface
 * `name` in the calling thread's namespace (or `netns`). A veth peer hands
 * packets over in memory with the checksum left for "the hardware" and as
 * 64 KiB segments; an AF_PACKET reader on the other end would see both. With
 * the offload off the host kernel sends finished, MTU-sized frames.
 */
export function disableTxOffload(name: string, netns?: string): void {
  checkName(name);
  inNetns(netns, () => {
    const fd = libc.socket(AF.INET, SOCK.DGRAM | SOCK.CLOEXEC, 0) as number;
    if (fd < 0) fail('socket(AF_INET)');
    try {
      const value = Buffer.alloc(EthtoolValue.size);
      EthtoolValue.encode(new DataView(value.buffer, value.byteOffset, value.length), 0, { cmd: ETHTOOL.STXCSUM, data: 0 });
      const union = new Uint8Array(24);
      new DataView(union.buffer).setBigUint64(0, libc.addressOf(value), true); // ifr_data
      if ((libc.ioctl(fd, SIOC.ETHTOOL, 'uint8_t *', ifreq(name, union)) as number) < 0) fail(`ETHTOOL_STXCSUM ${name}`);
    } finally {
      libc.close(fd);
    }
  });
}
