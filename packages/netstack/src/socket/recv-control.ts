// The IP-level control messages recvmsg(2) returns on datagram sockets
// (ip(7) IP_PKTINFO, IP_RECVTTL, IP_RECVTOS, IP_RECVORIGDSTADDR; ipv6(7)
// IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS), in the order
// Linux's ip_cmsg_recv_offset and ip6_datagram_recv_ctl emit them.

import { AF, IP, IPV6, SOL } from '../abi.js';
import type { IpAddress } from '../wire/address.js';
import type { IpOptions } from './ip-options.js';
import { sockAddrToBytes } from './sockaddr.js';
import type { ControlMessage } from './types.js';

/** What a received datagram's network header said. */
export interface ArrivalInfo {
  /** Header destination (ours, a broadcast or a group). */
  dst: IpAddress;
  /** The local address that took it (the destination, or the interface's for broadcasts and groups). */
  local: IpAddress;
  dstPort: number;
  nicId: number;
  ttl: number;
  /** TOS (IPv4) or traffic class (IPv6). */
  tos: number;
}

function int32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

/** The control messages `opts` asked for about a datagram that arrived as `a`. */
export function ipReceiveControl(opts: IpOptions, a: ArrivalInfo): ControlMessage[] {
  const out: ControlMessage[] = [];
  if (a.dst.version === 4) {
    if (opts.flag(SOL.IP, IP.PKTINFO)) {
      // struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst, ipi_addr; }
      const b = new Uint8Array(12);
      new DataView(b.buffer).setInt32(0, a.nicId, true);
      b.set(a.local.bytes, 4);
      b.set(a.dst.bytes, 8);
      out.push({ level: SOL.IP, type: IP.PKTINFO, data: b });
    }
    if (opts.flag(SOL.IP, IP.RECVTTL)) out.push({ level: SOL.IP, type: IP.TTL, data: int32(a.ttl) });
    if (opts.flag(SOL.IP, IP.RECVTOS)) out.push({ level: SOL.IP, type: IP.TOS, data: Uint8Array.of(a.tos) });
    if (opts.flag(SOL.IP, IP.RECVORIGDSTADDR)) {
      out.push({ level: SOL.IP, type: IP.RECVORIGDSTADDR, data: sockAddrToBytes({ family: AF.INET, addr: a.dst.key, port: a.dstPort }) });
    }
    return out;
  }
  if (opts.flag(SOL.IPV6, IPV6.RECVPKTINFO)) {
    // struct in6_pktinfo { struct in6_addr ipi6_addr; int ipi6_ifindex; }
    const b = new Uint8Array(20);
    b.set(a.dst.bytes, 0);
    new DataView(b.buffer).setInt32(16, a.nicId, true);
    out.push({ level: SOL.IPV6, type: IPV6.PKTINFO, data: b });
  }
  if (opts.flag(SOL.IPV6, IPV6.RECVHOPLIMIT)) out.push({ level: SOL.IPV6, type: IPV6.HOPLIMIT, data: int32(a.ttl) });
  if (opts.flag(SOL.IPV6, IPV6.RECVTCLASS)) out.push({ level: SOL.IPV6, type: IPV6.TCLASS, data: int32(a.tos) });
  if (opts.flag(SOL.IPV6, IPV6.RECVORIGDSTADDR)) {
    out.push({ level: SOL.IPV6, type: IPV6.RECVORIGDSTADDR, data: sockAddrToBytes({ family: AF.INET6, addr: a.dst.key, port: a.dstPort }) });
  }
  return out;
}
