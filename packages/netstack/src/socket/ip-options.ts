// The IP-level socket options (ip(7), ipv6(7)) every TCP and UDP socket
// keeps, with Linux's ranges, defaults and errno (do_ip_setsockopt,
// do_ipv6_setsockopt and their getsockopt twins). The options a protocol
// applies to its packets (UDP's IP_TTL/IP_TOS) stay with the protocol; this
// holds the rest, so getsockopt reads back what setsockopt stored.

import { AF, Errno, IP, IPV6, SOCK, SOL, SysError } from '../abi.js';
import type { Stack } from '../stack/stack.js';
import { IpAddress } from '../wire/address.js';
import { intValue } from './options.js';
import type { SockOptValue } from './types.js';

/** net.ipv4.ip_default_ttl and net.ipv6.conf.*.hop_limit: what a TTL of -1 reads back as. */
export const DEFAULT_TTL = 64;

/** SOL_IP flags that only record a yes/no (off by default). */
const IPV4_FLAGS: ReadonlySet<number> = new Set([
  IP.PKTINFO,
  IP.RECVTTL,
  IP.RECVTOS,
  IP.RECVOPTS,
  IP.RETOPTS,
  IP.RECVERR,
  IP.RECVORIGDSTADDR,
  IP.FREEBIND,
  IP.TRANSPARENT,
  IP.BIND_ADDRESS_NO_PORT,
  IP.NODEFRAG,
  IP.RECVFRAGSIZE,
  IP.PASSSEC,
]);

/** SOL_IPV6 flags that only record a yes/no (off by default). */
const IPV6_FLAGS: ReadonlySet<number> = new Set([IPV6.RECVPKTINFO, IPV6.RECVHOPLIMIT, IPV6.RECVTCLASS, IPV6.RECVERR, IPV6.RECVORIGDSTADDR]);

/** SOL_IPV6 options with an int value. */
const IPV6_INTS: ReadonlySet<number> = new Set([IPV6.UNICAST_HOPS, IPV6.MULTICAST_HOPS, IPV6.MULTICAST_LOOP, IPV6.TCLASS, IPV6.MTU_DISCOVER]);

const INET_ECN_MASK = 3;

function isIpv4Multicast(b: Uint8Array): boolean {
  return (b[0] & 0xf0) === 0xe0;
}

/**
 * One socket's IP-level options. `set` and `get` return false/undefined
 * for an option they do not know, so the caller can say ENOPROTOOPT (or
 * handle it itself first).
 */
export class IpOptions {
  private ttl = -1;
  private tos = 0;
  private minTtl = 0;
  private multicastTtl = 1;
  private multicastLoop = true;
  private multicastAll = true;
  private multicastIf = new Uint8Array(4);
  private multicastIfIndex = 0;
  private pmtuDiscover: number = IP.PMTUDISC_WANT;
  private readonly flags = new Set<number>([]);
  private hopLimit = -1;
  private multicastHops = 1;
  private multicastLoop6 = true;
  private tclass = 0;
  private pmtuDiscover6: number = IP.PMTUDISC_WANT;
  private readonly flags6 = new Set<number>();

  /**
   * @param family the socket's AF_INET or AF_INET6 (an AF_INET6 socket also takes SOL_IP options, as Linux's do)
   * @param type SOCK_STREAM or SOCK_DGRAM (multicast options are EINVAL on streams)
   */
  constructor(
    private readonly family: number,
    private readonly type: number,
    private readonly stack: Stack,
  ) {}

  /** IP_MULTICAST_TTL, IP_MULTICAST_LOOP and IP_MULTICAST_ALL as set (what a datagram protocol applies to multicast). */
  get multicast(): { ttl: number; loop: boolean; all: boolean; ifAddr: Uint8Array; ifIndex: number } {
    return { ttl: this.multicastTtl, loop: this.multicastLoop, all: this.multicastAll, ifAddr: this.multicastIf, ifIndex: this.multicastIfIndex };
  }

  /** Whether yes/no option `name` at SOL_IP or SOL_IPV6 is on (IP_PKTINFO, IPV6_RECVTCLASS...). */
  flag(level: number, name: number): boolean {
    return level === SOL.IP ? this.flags.has(name) : level === SOL.IPV6 && this.flags6.has(name);
  }

  /** Whether IP_RECVERR (or IPV6_RECVERR on a v6 socket) is on. */
  get recvErr(): boolean {
    return this.flags.has(IP.RECVERR) || this.flags6.has(IPV6.RECVERR);
  }

  /** setsockopt at SOL_IP/SOL_IPV6: true if handled, false if the option is unknown; EINVAL for a bad value. */
  set(level: number, name: number, value: SockOptValue): boolean {
    if (level === SOL.IP) return this.setIpv4(name, value);
    if (level === SOL.IPV6 && this.family === AF.INET6) return this.setIpv6(name, value);
    return false;
  }

  /** getsockopt at SOL_IP/SOL_IPV6: the value, or undefined if the option is unknown. */
  get(level: number, name: number): SockOptValue | undefined {
    if (level === SOL.IP) return this.getIpv4(name);
    if (level === SOL.IPV6 && this.family === AF.INET6) return this.getIpv6(name);
    return undefined;
  }

  private setIpv4(name: number, value: SockOptValue): boolean {
    if (IPV4_FLAGS.has(name)) {
      if (intValue(value) !== 0) this.flags.add(name);
      else this.flags.delete(name);
      return true;
    }
    switch (name) {
      case IP.TTL: {
        const v = intValue(value);
        if (v !== -1 && (v < 1 || v > 255)) throw new SysError(Errno.EINVAL);
        this.ttl = v;
        return true;
      }
      case IP.TOS: {
        let v = intValue(value) & 0xff;
        // A stream keeps its ECN bits: they are TCP's, not the caller's.
        if (this.type === SOCK.STREAM) v = (v & ~INET_ECN_MASK) | (this.tos & INET_ECN_MASK);
        this.tos = v;
        return true;
      }
      case IP.MINTTL: {
        const v = intValue(value);
        if (v < 0 || v > 255) throw new SysError(Errno.EINVAL);
        this.minTtl = v;
        return true;
      }
      case IP.MTU_DISCOVER: {
        const v = intValue(value);
        if (v < IP.PMTUDISC_DONT || v > IP.PMTUDISC_OMIT) throw new SysError(Errno.EINVAL);
        this.pmtuDiscover = v;
        return true;
      }
      case IP.MULTICAST_TTL: {
        if (this.type === SOCK.STREAM) throw new SysError(Errno.EINVAL);
        let v = intValue(value);
        if (v === -1) v = 1;
        if (v < 0 || v > 255) throw new SysError(Errno.EINVAL);
        this.multicastTtl = v;
        return true;
      }
      case IP.MULTICAST_LOOP:
        this.multicastLoop = intValue(value) !== 0;
        return true;
      case IP.MULTICAST_ALL:
        this.multicastAll = intValue(value) !== 0;
        return true;
      case IP.MULTICAST_IF:
        this.setMulticastIf(value);
        return true;
      case IP.ADD_MEMBERSHIP:
      case IP.DROP_MEMBERSHIP:
        this.checkMembership(name, value);
        return true;
      default:
        return false;
    }
  }

  private getIpv4(name: number): SockOptValue | undefined {
    if (IPV4_FLAGS.has(name)) return this.flags.has(name) ? 1 : 0;
    switch (name) {
      case IP.TTL:
        return this.ttl === -1 ? DEFAULT_TTL : this.ttl;
      case IP.TOS:
        return this.tos;
      case IP.MINTTL:
        return this.minTtl;
      case IP.MTU_DISCOVER:
        return this.pmtuDiscover;
      case IP.MULTICAST_TTL:
        return this.multicastTtl;
      case IP.MULTICAST_LOOP:
        return this.multicastLoop ? 1 : 0;
      case IP.MULTICAST_ALL:
        return this.multicastAll ? 1 : 0;
      case IP.MULTICAST_IF:
        return this.multicastIf.slice();
      default:
        return undefined;
    }
  }

  /** IP_MULTICAST_IF takes an in_addr, an ip_mreq or an ip_mreqn naming a local address or an interface index (or neither). */
  private setMulticastIf(value: SockOptValue): void {
    if (this.type === SOCK.STREAM) throw new SysError(Errno.EINVAL);
    const raw = bytesOf(value);
    if (raw.length < 4) throw new SysError(Errno.EINVAL);
    const addr = raw.length >= 8 ? raw.subarray(4, 8) : raw.subarray(0, 4);
    const ifindex = raw.length >= 12 ? new DataView(raw.buffer, raw.byteOffset + 8, 4).getInt32(0, true) : 0;
    const wildcard = addr.every((b) => b === 0);
    if (ifindex === 0 && wildcard) {
      this.multicastIf = new Uint8Array(4);
      this.multicastIfIndex = 0;
      return;
    }
    const byIndex = ifindex !== 0 && this.stack.listNics().some((n) => n.id === ifindex);
    const byAddress = !wildcard && this.stack.isLocalAddress(IpAddress.fromBytes(addr)) !== null;
    if (!byIndex && !byAddress) throw new SysError(Errno.EADDRNOTAVAIL);
    this.multicastIf = addr.slice();
    this.multicastIfIndex = byIndex ? ifindex : 0;
  }

  /**
   * IP_ADD/DROP_MEMBERSHIP: an ip_mreq or ip_mreqn naming a multicast
   * group. The loopback stack delivers no multicast, so a well-formed
   * request fails as Linux's does without a multicast-capable device.
   */
  private checkMembership(name: number, value: SockOptValue): void {
    const raw = bytesOf(value);
    if (raw.length < 8) throw new SysError(Errno.EINVAL);
    if (!isIpv4Multicast(raw.subarray(0, 4))) throw new SysError(Errno.EINVAL);
    throw new SysError(name === IP.ADD_MEMBERSHIP ? Errno.ENODEV : Errno.EADDRNOTAVAIL);
  }

  private setIpv6(name: number, value: SockOptValue): boolean {
    const known = IPV6_FLAGS.has(name) || IPV6_INTS.has(name);
    if (!known) return false;
    // Stream sockets have no multicast hop limit (Linux leaves it ENOPROTOOPT).
    if (name === IPV6.MULTICAST_HOPS && this.type === SOCK.STREAM) return false;
    if (typeof value !== 'number' && !(value instanceof Uint8Array && value.length >= 4)) throw new SysError(Errno.EINVAL);
    const v = intValue(value);
    if (IPV6_FLAGS.has(name)) {
      if (v !== 0) this.flags6.add(name);
      else this.flags6.delete(name);
      return true;
    }
    switch (name) {
      case IPV6.UNICAST_HOPS:
        if (v < -1 || v > 255) throw new SysError(Errno.EINVAL);
        this.hopLimit = v;
        return true;
      case IPV6.MULTICAST_HOPS:
        if (v < -1 || v > 255) throw new SysError(Errno.EINVAL);
        this.multicastHops = v === -1 ? 1 : v;
        return true;
      case IPV6.MULTICAST_LOOP:
        if (v !== 0 && v !== 1) throw new SysError(Errno.EINVAL);
        this.multicastLoop6 = v === 1;
        return true;
      case IPV6.TCLASS:
        if (v < -1 || v > 0xff) throw new SysError(Errno.EINVAL);
        this.tclass = v === -1 ? 0 : v;
        return true;
      default:
        // IPV6_PMTUDISC_* share IP_PMTUDISC_*'s values.
        if (v < IP.PMTUDISC_DONT || v > IP.PMTUDISC_OMIT) throw new SysError(Errno.EINVAL);
        this.pmtuDiscover6 = v;
        return true;
    }
  }

  private getIpv6(name: number): SockOptValue | undefined {
    if (IPV6_FLAGS.has(name)) return this.flags6.has(name) ? 1 : 0;
    switch (name) {
      case IPV6.UNICAST_HOPS:
        return this.hopLimit === -1 ? DEFAULT_TTL : this.hopLimit;
      case IPV6.MULTICAST_HOPS:
        return this.multicastHops;
      case IPV6.MULTICAST_LOOP:
        return this.multicastLoop6 ? 1 : 0;
      case IPV6.TCLASS:
        return this.tclass;
      case IPV6.MTU_DISCOVER:
        return this.pmtuDiscover6;
      default:
        return undefined;
    }
  }
}

function bytesOf(value: SockOptValue): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'number') {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setInt32(0, value, true);
    return out;
  }
  throw new SysError(Errno.EINVAL);
}
