// UDP's attachment to the stack: port reservations, demultiplexing
// (unicast to the best match, broadcast/multicast to every match),
// ICMP port-unreachable generation and ICMP error delivery.

import { Errno, IPPROTO, SysError } from '../abi.js';
import type { IpAddress } from '../wire/address.js';
import { get16 } from '../wire/bytes.js';
import { Icmpv4Type, Icmpv4Unreach } from '../wire/icmpv4.js';
import { Icmpv6Type, Icmpv6Unreach } from '../wire/icmpv6.js';
import { parseUdp, UDP_HEADER_LEN } from '../wire/udp.js';
import { trafficClass } from '../stack/packet.js';
import { PortTable } from '../stack/ports.js';
import type { Stack } from '../stack/stack.js';
import type { Nic } from '../stack/nic.js';
import type { NetworkError, PacketInfo, TransportProtocol } from '../stack/types.js';
import { UdpEndpoint } from './endpoint.js';

/** net.ipv4.igmp_max_memberships: the groups one socket may join. */
export const IGMP_MAX_MEMBERSHIPS = 20;
/** The all-hosts group. */
const ALL_HOSTS = '224.0.0.1';

/** UDP MIB counters (Linux's UDP_MIB_*): datagrams given to sockets, unicast ones no socket took, datagrams sent. */
export interface UdpMib {
  inDatagrams: number;
  noPorts: number;
  outDatagrams: number;
}

function newUdpMib(): UdpMib {
  return { inDatagrams: 0, noPorts: 0, outDatagrams: 0 };
}

export class UdpProtocol implements TransportProtocol {
  readonly protocol = IPPROTO.UDP;
  readonly ports: PortTable;
  private readonly byPort = new Map<number, UdpEndpoint[]>();
  private bindCounter = 0;
  /** The UDP MIB counters /proc/net/snmp shows (IPv4) and /proc/net/snmp6 (IPv6), as Linux counts them. */
  readonly mib = { 4: newUdpMib(), 6: newUdpMib() };
  /** IPv4 groups each interface has joined, with how many sockets joined each ("nicId|group" -> count). */
  private readonly joinedGroups = new Map<string, number>();

  constructor(private readonly stack: Stack) {
    this.ports = new PortTable(true, stack.random, () => stack.ephemeralPorts);
  }

  createEndpoint(family: 4 | 6): UdpEndpoint {
    return new UdpEndpoint(this.stack, this, family);
  }

  /** Binds to addr:port (port 0 = ephemeral). Throws EADDRINUSE. */
  bind(ep: UdpEndpoint, addr: IpAddress, port: number, exhausted: number = Errno.EADDRINUSE): void {
    const binding = {
      addr,
      port,
      v6only: ep.v6only,
      reuseAddr: ep.reuseAddr,
      reusePort: ep.reusePort,
      isListening: () => false,
    };
    this.ports.reserve(binding, exhausted);
    ep.binding = binding;
    ep.localAddr = addr;
    ep.localPort = binding.port;
    ep.bindOrder = ++this.bindCounter;
    let list = this.byPort.get(ep.localPort);
    if (!list) this.byPort.set(ep.localPort, (list = []));
    list.push(ep);
  }

  /** Binds to the wildcard address and an ephemeral port. */
  autobind(ep: UdpEndpoint): void {
    this.bind(ep, ep.localAddr, 0, Errno.EAGAIN);
  }

  /** Re-points the local address without changing the reservation (connect() picking a source). */
  setLocalAddress(ep: UdpEndpoint, addr: IpAddress): void {
    ep.localAddr = addr;
    if (ep.binding) ep.binding.addr = addr;
  }

  unbind(ep: UdpEndpoint): void {
    if (ep.binding) this.ports.release(ep.binding);
    ep.binding = null;
    const list = this.byPort.get(ep.localPort);
    if (list) {
      const i = list.indexOf(ep);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.byPort.delete(ep.localPort);
    }
  }

  /** IP_ADD_MEMBERSHIP: `ep` joins IPv4 `group` on `nic`. EADDRINUSE if it already has; ENOBUFS past igmp_max_memberships. */
  joinGroup(ep: UdpEndpoint, group: IpAddress, nic: Nic): void {
    if (ep.memberships.some((m) => m.nicId === nic.id && m.group.key === group.key)) throw new SysError(Errno.EADDRINUSE);
    if (ep.memberships.length >= IGMP_MAX_MEMBERSHIPS) throw new SysError(Errno.ENOBUFS);
    ep.memberships.push({ group, nicId: nic.id });
    const key = `${nic.id}|${group.key}`;
    this.joinedGroups.set(key, (this.joinedGroups.get(key) ?? 0) + 1);
  }

  /** IP_DROP_MEMBERSHIP: EADDRNOTAVAIL if `ep` is not a member of `group` on `nicId`. */
  leaveGroup(ep: UdpEndpoint, group: IpAddress, nicId: number): void {
    const i = ep.memberships.findIndex((m) => m.nicId === nicId && m.group.key === group.key);
    if (i < 0) throw new SysError(Errno.EADDRNOTAVAIL);
    ep.memberships.splice(i, 1);
    const key = `${nicId}|${group.key}`;
    const left = (this.joinedGroups.get(key) ?? 1) - 1;
    if (left > 0) this.joinedGroups.set(key, left);
    else this.joinedGroups.delete(key);
  }

  /** Whether interface `nicId` takes IPv4 `group`'s datagrams: some socket joined it there, or it is all-hosts (224.0.0.1), which every interface joins. */
  hasJoined(nicId: number, group: IpAddress): boolean {
    return group.key === ALL_HOSTS || this.joinedGroups.has(`${nicId}|${group.key}`);
  }

  /** Leaves every group `ep` joined (on close). */
  leaveAllGroups(ep: UdpEndpoint): void {
    for (const m of [...ep.memberships]) this.leaveGroup(ep, m.group, m.nicId);
  }

  receive(info: PacketInfo, payload: Uint8Array): void {
    const d = parseUdp(payload, info.src, info.dst);
    if (!d) return;
    // An IPv4 group's datagrams reach sockets only on an interface that joined it (ip_check_mc_rcu).
    const group4 = info.dst.isMulticast && info.dst.version === 4;
    if (group4 && !this.hasJoined(info.nic.id, info.dst)) return;
    const candidates = this.byPort.get(d.dstPort) ?? [];
    const multi = info.broadcast || info.dst.isMulticast;
    let best: UdpEndpoint[] = [];
    let bestScore = 0;
    for (const ep of candidates) {
      const score = this.matchScore(ep, info, d.srcPort);
      if (score === 0) continue;
      if (group4 && !ep.acceptsMulticast(info.dst, info.nic.id)) continue;
      if (multi) {
        best.push(ep);
        continue;
      }
      if (score > bestScore) {
        best = [ep];
        bestScore = score;
      } else if (score === bestScore) best.push(ep);
    }
    if (best.length === 0) {
      if (multi) return;
      this.mib[info.dst.version].noPorts++;
      if (info.src.version === 4) this.stack.ipv4.sendIcmpError(info, Icmpv4Type.DEST_UNREACHABLE, Icmpv4Unreach.PORT, 0);
      else this.stack.ipv6.sendIcmpError(info, Icmpv6Type.DEST_UNREACHABLE, Icmpv6Unreach.PORT, 0);
      return;
    }
    const tos = trafficClass(info.networkPacket);
    const arrivedAt = this.stack.clock.now();
    this.mib[info.dst.version].inDatagrams += multi ? best.length : 1;
    if (multi) {
      for (const ep of best) {
        const data = filteredPayload(ep, payload, d.payload);
        if (data) ep.enqueue({ data, srcAddr: info.src, srcPort: d.srcPort, dstAddr: info.dst, nic: info.nic, ttl: info.ttl, tos, arrivedAt });
      }
      return;
    }
    let target: UdpEndpoint;
    if (best.length > 1 && best.every((e) => e.reusePort)) {
      // SO_REUSEPORT: a stable hash of the flow picks the socket.
      let h = 0x811c9dc5;
      const key = `${info.src.key}|${d.srcPort}`;
      for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
      target = best[h % best.length];
    } else {
      target = best.reduce((a, b) => (b.bindOrder > a.bindOrder ? b : a));
    }
    const data = filteredPayload(target, payload, d.payload);
    if (data) target.enqueue({ data, srcAddr: info.src, srcPort: d.srcPort, dstAddr: info.dst, nic: info.nic, ttl: info.ttl, tos, arrivedAt });
  }

  receiveError(err: NetworkError): void {
    if (err.transportHeader.length < 8) return;
    const sport = get16(err.transportHeader, 0);
    const dport = get16(err.transportHeader, 2);
    // Linux reports ICMP errors only to connected sockets (without IP_RECVERR), and only hard ones.
    if (!err.fatal) return;
    for (const ep of this.byPort.get(sport) ?? []) {
      if (!ep.remoteAddr || ep.remotePort !== dport || !sameAddress(ep.remoteAddr, err.dst)) continue;
      if (!ep.localAddr.isUnspecified && !sameAddress(ep.localAddr, err.src)) continue;
      ep.setError(err.errno);
    }
  }

  /** How well an endpoint matches an arriving datagram; 0 = not at all. */
  private matchScore(ep: UdpEndpoint, info: PacketInfo, srcPort: number): number {
    let score = 1;
    const la = ep.localAddr;
    if (la.isUnspecified) {
      if (la.version !== info.dst.version && (la.version === 4 || ep.v6only)) return 0;
      if (la.version === info.dst.version) score++;
    } else if (sameAddress(la, info.dst)) {
      score += 4;
    } else {
      return 0; // bound to another address (Linux: specific-address sockets miss broadcasts too)
    }
    if (ep.remoteAddr) {
      // Connected to port 0: only the address filters (compute_score checks a nonzero dport only).
      if (!sameAddress(ep.remoteAddr, info.src) || (ep.remotePort !== 0 && ep.remotePort !== srcPort)) return 0;
      score += 8;
    }
    return score;
  }
}

/** Addresses equal, treating an IPv4-mapped IPv6 address as its IPv4 address. */
export function sameAddress(a: IpAddress, b: IpAddress): boolean {
  if (a.key === b.key) return true;
  const ua = a.isV4Mapped ? a.unmapV4() : a;
  const ub = b.isV4Mapped ? b.unmapV4() : b;
  return ua.key === ub.key;
}

/**
 * A copy of the datagram's data as the socket's receive filter lets it in
 * (Linux's sk_filter_trim_cap with the UDP header as the floor): null when
 * the filter drops it, cut short when the filter keeps fewer bytes.
 */
function filteredPayload(ep: UdpEndpoint, raw: Uint8Array, data: Uint8Array): Uint8Array | null {
  if (!ep.receiveFilter) return data.slice();
  // The filter sees the datagram as its length field gives it (Linux trims link padding first).
  const keep = ep.receiveFilter(raw.subarray(0, UDP_HEADER_LEN + data.length));
  if (keep === 0) return null;
  return data.slice(0, Math.max(0, Math.min(data.length, keep - UDP_HEADER_LEN)));
}
