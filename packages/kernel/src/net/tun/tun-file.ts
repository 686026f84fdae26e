// An open /dev/net/tun (char 10:200): unattached until TUNSETIFF creates or
// attaches a TUN/TAP interface, then a packet queue in each direction.
import { CAP, Errno, Ifreq, POLL, SysError, TUN, TUN_IFF, TUN_PKT_STRIP, decodeStruct, encodeStruct } from '@tvisor/abi';
import { FileImplBase, type FileDescription, type Inode, type ReadinessCallback } from '@tvisor/vfs';
import { hasCapability } from '../../credentials.js';
import type { Kernel } from '../../kernel.js';
import type { Task } from '../../task.js';
import { ETHERNET_HEADER_LEN } from '@tvisor/netstack';
import { sandboxStack } from '../inet/stack.js';
import { unionInt } from '../interface-ioctl.js';
import { TunDevice, createTunDevice, destroyTunDevice, findTunDevice, ipEtherType, type TunKind } from './tun-device.js';

/** The character device Linux registers /dev/net/tun as (misc major 10, TUN_MINOR). */
export const TUN_DEVICE = { major: 10, minor: 200 } as const;
/** struct tun_pi: u16 flags, then the EtherType in network order. */
const PACKET_INFO_LEN = 4;
/** The largest packet a write may carry: one IPv4/IPv6 datagram (Linux's 64 KiB skb limit). */
const MAX_PACKET = 65535;
/** TUNSETIFF flags this device implements; others (IFF_VNET_HDR, IFF_MULTI_QUEUE, IFF_NAPI...) are EINVAL. */
const SUPPORTED_FLAGS = TUN_IFF.TUN | TUN_IFF.TAP | TUN_IFF.NO_PI | TUN_IFF.ONE_QUEUE | TUN_IFF.TUN_EXCL;
/** TUNGETFEATURES: what TUNSETIFF accepts besides the device type. */
const FEATURES = TUN_IFF.TUN | TUN_IFF.TAP | TUN_IFF.NO_PI | TUN_IFF.ONE_QUEUE;

/** Registers /dev/net/tun (char 10:200) with the kernel's devices: TUN/TAP interfaces of the sandbox's own stack. */
export function registerTunDevice(kernel: Kernel): void {
  kernel.root.vfs.devices.registerChar(TUN_DEVICE.major, TUN_DEVICE.minor, (inode) => new TunFile(inode));
}

/** The file behind an open /dev/net/tun; its ioctls (userIoctl, as syscalls/file.ts's UserIoctl) read the application's ifreq. */
export class TunFile extends FileImplBase {
  /** No file position: pread and pwrite are ESPIPE. */
  readonly stream = true;
  /** A read or write moves one whole packet. */
  readonly datagram = true;
  private device: TunDevice | undefined;
  private kernel: Kernel | undefined;

  constructor(inode: Inode) {
    super(inode);
  }

  /** The attached device, unless it is gone (`ip link del`) or was never attached. */
  private get live(): TunDevice | undefined {
    return this.device && !this.device.closed ? this.device : undefined;
  }

  private attachedDevice(): TunDevice {
    const device = this.live;
    if (!device) throw new SysError(Errno.EBADFD);
    return device;
  }

  override read(_fd: FileDescription, dst: Uint8Array): number {
    const device = this.attachedDevice();
    const withInfo = !device.noPacketInfo;
    if (withInfo && dst.length < PACKET_INFO_LEN) throw new SysError(Errno.EINVAL);
    const packet = device.dequeue();
    if (!packet) throw new SysError(Errno.EAGAIN);
    let at = 0;
    if (withInfo) {
      const room = dst.length - PACKET_INFO_LEN;
      const info = new DataView(dst.buffer, dst.byteOffset, PACKET_INFO_LEN);
      info.setUint16(0, room < packet.bytes.length ? TUN_PKT_STRIP : 0, true);
      info.setUint16(2, packet.etherType, false);
      at = PACKET_INFO_LEN;
    }
    // A packet longer than the buffer is cut, as tun_put_user copies only what fits.
    const n = Math.min(packet.bytes.length, dst.length - at);
    dst.set(packet.bytes.subarray(0, n), at);
    return at + n;
  }

  override write(_fd: FileDescription, src: Uint8Array): number {
    const device = this.attachedDevice();
    let packet = src;
    let etherType: number | undefined;
    if (!device.noPacketInfo) {
      if (src.length < PACKET_INFO_LEN) throw new SysError(Errno.EINVAL);
      etherType = new DataView(src.buffer, src.byteOffset, PACKET_INFO_LEN).getUint16(2, false);
      packet = src.subarray(PACKET_INFO_LEN);
    }
    if (packet.length > MAX_PACKET) throw new SysError(Errno.EINVAL);
    if (device.kind === 'tap') {
      if (packet.length < ETHERNET_HEADER_LEN) throw new SysError(Errno.EINVAL);
    } else {
      // With IFF_NO_PI the IP version says what the packet is; anything else is refused.
      etherType ??= ipEtherType(packet);
      if (etherType === undefined) throw new SysError(Errno.EINVAL);
    }
    if (!device.nic.up) throw new SysError(Errno.EIO);
    device.inject(packet, etherType ?? 0);
    return src.length;
  }

  override seek(): number {
    throw new SysError(Errno.ESPIPE);
  }

  override readiness(_fd: FileDescription, mask: number): number {
    const device = this.live;
    if (!device) return POLL.ERR;
    return mask & ((device.readable ? POLL.IN | POLL.RDNORM : 0) | POLL.OUT | POLL.WRNORM);
  }

  override subscribe(_fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    // Unattached files never become ready (their readiness is POLLERR for good).
    return this.device ? this.device.waiters.subscribe(mask, cb) : () => {};
  }

  override release(_fd: FileDescription): void {
    const device = this.device;
    if (!device || !this.kernel) return;
    this.device = undefined;
    device.detach();
    if (!device.persist && !device.closed) destroyTunDevice(sandboxStack(this.kernel), device);
  }

  userIoctl(task: Task, cmd: number, arg: number): number {
    switch (cmd) {
      case TUN.SETIFF:
        return this.setIff(task, arg);
      case TUN.GETIFF: {
        const device = this.attachedDevice();
        task.mm.copyOut(arg, encodeStruct(Ifreq, { ifr_name: device.name, ifr_ifru: unionInt(reportedFlags(device), 2) }));
        return 0;
      }
      case TUN.GETFEATURES: {
        const out = new Uint8Array(4);
        new DataView(out.buffer).setUint32(0, FEATURES, true);
        task.mm.copyOut(arg, out);
        return 0;
      }
      case TUN.SETPERSIST: {
        const device = this.attachedDevice();
        this.checkMayAttach(task, device);
        device.persist = arg !== 0;
        return 0;
      }
      case TUN.SETOWNER:
      case TUN.SETGROUP: {
        const device = this.attachedDevice();
        this.checkMayAttach(task, device);
        if (cmd === TUN.SETOWNER) device.owner = arg >>> 0;
        else device.group = arg >>> 0;
        return 0;
      }
    }
    throw new SysError(Errno.ENOTTY);
  }

  /** TUNSETIFF: attach this file to the named device, creating it if there is none. */
  private setIff(task: Task, arg: number): number {
    if (this.live) throw new SysError(Errno.EEXIST);
    const req = decodeStruct(Ifreq, task.mm.copyIn(arg, Ifreq.size));
    const flags = new DataView(req.ifr_ifru.buffer, req.ifr_ifru.byteOffset, 2).getUint16(0, true);
    const type = flags & (TUN_IFF.TUN | TUN_IFF.TAP);
    if ((type !== TUN_IFF.TUN && type !== TUN_IFF.TAP) || flags & ~SUPPORTED_FLAGS) throw new SysError(Errno.EINVAL);
    const kind: TunKind = type === TUN_IFF.TUN ? 'tun' : 'tap';
    const stack = sandboxStack(task.kernel);
    let device = req.ifr_name === '' ? undefined : findTunDevice(stack, req.ifr_name);
    if (device) {
      // An existing device: the same kind, not in use, and the caller its owner or privileged.
      if (flags & TUN_IFF.TUN_EXCL) throw new SysError(Errno.EBUSY);
      if (device.kind !== kind) throw new SysError(Errno.EINVAL);
      this.checkMayAttach(task, device);
      if (device.attached) throw new SysError(Errno.EBUSY);
    } else {
      // A new device needs CAP_NET_ADMIN over the network namespace (owned by the sandbox's initial user namespace).
      if (!hasCapability(task.creds, CAP.NET_ADMIN)) throw new SysError(Errno.EPERM);
      if (req.ifr_name !== '' && stack.listNics().some((n) => n.name === req.ifr_name)) throw new SysError(Errno.EINVAL);
      device = createTunDevice(stack, kind, req.ifr_name === '' ? `${kind}%d` : req.ifr_name);
    }
    device.attached = true;
    device.noPacketInfo = (flags & TUN_IFF.NO_PI) !== 0;
    this.device = device;
    this.kernel = task.kernel;
    // Linux writes the request back with the name it chose.
    task.mm.copyOut(arg, encodeStruct(Ifreq, { ifr_name: device.name, ifr_ifru: req.ifr_ifru }));
    return 0;
  }

  /** tun_not_capable: the device's owner or group may use it; anyone else needs CAP_NET_ADMIN. */
  private checkMayAttach(task: Task, device: TunDevice): void {
    const creds = task.creds;
    if (device.owner !== -1 && device.owner === creds.euid) return;
    if (device.group !== -1 && (device.group === creds.egid || creds.groups.includes(device.group))) return;
    if (!hasCapability(creds, CAP.NET_ADMIN)) throw new SysError(Errno.EPERM);
  }
}

/** TUNGETIFF's flags: the type, IFF_NO_PI and IFF_PERSIST as set, and IFF_NOFILTER (no socket filter is attached). */
function reportedFlags(device: TunDevice): number {
  let flags = device.kind === 'tun' ? TUN_IFF.TUN : TUN_IFF.TAP;
  if (device.noPacketInfo) flags |= TUN_IFF.NO_PI;
  if (device.persist) flags |= TUN_IFF.PERSIST;
  return flags | TUN_IFF.NOFILTER;
}
