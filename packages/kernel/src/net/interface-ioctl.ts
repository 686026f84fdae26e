import { CAP, AF, Errno, IFF, IFNAMSIZ, Ifconf, Ifreq, SIOC, SockaddrIn, SysError } from '@tvisor/abi';
import type { Nic } from '@tvisor/netstack';
import type { Task } from '../task.js';
import { sandboxStack } from './inet/stack.js';
import { NIC_TX_QUEUE_LEN, networkBytes, nicFlags, nicHardwareType } from './netlink/route.js';
import { hasCapability } from '../credentials.js';

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Whether `cmd` is one of the interface ioctls every socket answers (Linux's dev_ioctl). */
export function isInterfaceIoctl(cmd: number): boolean {
  switch (cmd) {
    case SIOC.GIFCONF:
    case SIOC.GIFFLAGS:
    case SIOC.SIFFLAGS:
    case SIOC.GIFADDR:
    case SIOC.GIFNETMASK:
    case SIOC.GIFHWADDR:
    case SIOC.GIFINDEX:
    case SIOC.GIFNAME:
    case SIOC.GIFMTU:
    case SIOC.GIFTXQLEN:
    case SIOC.GIFMETRIC:
    case SIOC.GIFBRDADDR:
    case SIOC.GIFDSTADDR:
      return true;
    default:
      return false;
  }
}

function sockaddrIn(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(SockaddrIn.size);
  SockaddrIn.encode(view(out), 0, { sin_family: AF.INET, sin_port: 0, sin_addr: bytes });
  return out;
}

function firstIpv4(nic: Nic): { bytes: Uint8Array; prefixLen: number } {
  const a = nic.addresses.find((x) => x.address.version === 4);
  if (!a) throw new SysError(Errno.EADDRNOTAVAIL);
  return { bytes: a.address.bytes, prefixLen: a.prefixLen };
}

/** An ifreq's union bytes (24) holding a little-endian int or short at its start. */
export function unionInt(v: number, size: 2 | 4): Uint8Array {
  const out = new Uint8Array(Ifreq.size - IFNAMSIZ);
  if (size === 2) view(out).setInt16(0, v, true);
  else view(out).setInt32(0, v, true);
  return out;
}

/**
 * The SIOCGIF and SIOCSIFFLAGS ioctls on any socket of `family`, answered
 * from the sandbox's NICs (the address and netmask only on AF_INET sockets,
 * whose protocol answers them in Linux): names, indexes, flags, the first IPv4 address and its
 * netmask, its broadcast and destination addresses, the MAC, the MTU, the metric (always 0), the
 * transmit queue length, and SIOCGIFCONF's list of IPv4 addresses.
 */
export function interfaceIoctl(t: Task, family: number, cmd: number, arg: number): number {
  const stack = sandboxStack(t.kernel);
  if (cmd === SIOC.GIFCONF) {
    const conf = Ifconf.decode(view(t.mm.copyIn(arg, Ifconf.size)), 0);
    const entries: Uint8Array[] = [];
    for (const nic of stack.listNics()) {
      for (const a of nic.addresses) {
        if (a.address.version !== 4) continue;
        const req = new Uint8Array(Ifreq.size);
        const union = new Uint8Array(Ifreq.size - IFNAMSIZ);
        union.set(sockaddrIn(a.address.bytes));
        Ifreq.encode(view(req), 0, { ifr_name: nic.name, ifr_ifru: union });
        entries.push(req);
      }
    }
    let len = entries.length * Ifreq.size;
    if (conf.ifc_buf !== 0) {
      // Only whole entries that fit are written; ifc_len says how much was.
      const fit = Math.min(entries.length, Math.floor(Math.max(0, conf.ifc_len) / Ifreq.size));
      entries.slice(0, fit).forEach((e, i) => t.mm.copyOut(conf.ifc_buf + i * Ifreq.size, e));
      len = fit * Ifreq.size;
    }
    const out = new Uint8Array(Ifconf.size);
    Ifconf.encode(view(out), 0, { ifc_len: len, ifc_buf: conf.ifc_buf });
    t.mm.copyOut(arg, out.subarray(0, 4));
    return 0;
  }
  const req = Ifreq.decode(view(t.mm.copyIn(arg, Ifreq.size)), 0);
  const reply = (union: Uint8Array, name = req.ifr_name) => {
    const out = new Uint8Array(Ifreq.size);
    Ifreq.encode(view(out), 0, { ifr_name: name, ifr_ifru: union });
    t.mm.copyOut(arg, out);
    return 0;
  };
  if (cmd === SIOC.GIFNAME) {
    const nic = stack.nicById(view(req.ifr_ifru).getInt32(0, true));
    if (!nic) throw new SysError(Errno.ENODEV);
    return reply(req.ifr_ifru, nic.name);
  }
  const nic = stack.listNics().find((n) => n.name === req.ifr_name);
  if (!nic) throw new SysError(Errno.ENODEV);
  switch (cmd) {
    case SIOC.GIFFLAGS:
      return reply(unionInt(nicFlags(nic) & 0xffff, 2));
    case SIOC.SIFFLAGS: {
      if (!hasCapability(t.creds, CAP.NET_ADMIN)) throw new SysError(Errno.EPERM);
      const flags = view(req.ifr_ifru).getUint16(0, true);
      stack.setNicUp(nic, (flags & IFF.UP) !== 0);
      return 0;
    }
    case SIOC.GIFADDR: {
      if (family !== AF.INET) throw new SysError(Errno.ENOTTY);
      const union = new Uint8Array(Ifreq.size - IFNAMSIZ);
      union.set(sockaddrIn(firstIpv4(nic).bytes));
      return reply(union);
    }
    case SIOC.GIFNETMASK: {
      if (family !== AF.INET) throw new SysError(Errno.ENOTTY);
      const { prefixLen } = firstIpv4(nic);
      const union = new Uint8Array(Ifreq.size - IFNAMSIZ);
      union.set(sockaddrIn(networkBytes(new Uint8Array(4).fill(0xff), prefixLen)));
      return reply(union);
    }
    case SIOC.GIFDSTADDR: {
      // Without a point-to-point peer, Linux answers with the local address.
      if (family !== AF.INET) throw new SysError(Errno.ENOTTY);
      const union = new Uint8Array(Ifreq.size - IFNAMSIZ);
      union.set(sockaddrIn(firstIpv4(nic).bytes));
      return reply(union);
    }
    case SIOC.GIFBRDADDR: {
      // Loopback has no broadcast address (0.0.0.0); others the subnet's all-ones host.
      if (family !== AF.INET) throw new SysError(Errno.ENOTTY);
      const { bytes, prefixLen } = firstIpv4(nic);
      const mask = networkBytes(new Uint8Array(4).fill(0xff), prefixLen);
      const union = new Uint8Array(Ifreq.size - IFNAMSIZ);
      union.set(sockaddrIn(nic.isLoopback ? new Uint8Array(4) : bytes.map((b, i) => b | (~mask[i]! & 0xff))));
      return reply(union);
    }
    case SIOC.GIFMETRIC:
      return reply(unionInt(0, 4));
    case SIOC.GIFTXQLEN:
      return reply(unionInt(NIC_TX_QUEUE_LEN, 4));
    case SIOC.GIFHWADDR: {
      const union = new Uint8Array(Ifreq.size - IFNAMSIZ);
      view(union).setUint16(0, nicHardwareType(nic), true);
      union.set(nic.mac, 2);
      return reply(union);
    }
    case SIOC.GIFINDEX:
      return reply(unionInt(nic.id, 4));
    case SIOC.GIFMTU:
      return reply(unionInt(nic.mtu, 4));
    default:
      throw new SysError(Errno.ENOTTY);
  }
}
