import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AF, Errno, IP, IPV6, SOCK, SOL } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import { DEFAULT_TTL } from '../src/socket/ip-options.js';
import { errnoOf, makePair } from './harness.js';

const families = [AF.INET, AF.INET6] as const;
const types = [SOCK.STREAM, SOCK.DGRAM] as const;

describe('IP-level socket options (ip(7), ipv6(7)) as Linux keeps them', () => {
  it('defaults: TTL and hop limits read back as the sysctl default, multicast TTL 1 and loop on, PMTU discovery "want", flags off', () => {
    const p = makePair();
    for (const family of families) {
      for (const type of types) {
        const s = createSocket(p.a, family, type);
        expect(s.getsockopt(SOL.IP, IP.TTL)).toBe(DEFAULT_TTL);
        expect(s.getsockopt(SOL.IP, IP.TOS)).toBe(0);
        expect(s.getsockopt(SOL.IP, IP.MULTICAST_TTL)).toBe(1);
        expect(s.getsockopt(SOL.IP, IP.MULTICAST_LOOP)).toBe(1);
        expect(s.getsockopt(SOL.IP, IP.MTU_DISCOVER)).toBe(IP.PMTUDISC_WANT);
        for (const flag of [IP.PKTINFO, IP.RECVTOS, IP.RECVTTL, IP.RECVORIGDSTADDR, IP.RECVERR]) expect(s.getsockopt(SOL.IP, flag)).toBe(0);
        if (family === AF.INET6) {
          expect(s.getsockopt(SOL.IPV6, IPV6.MULTICAST_LOOP)).toBe(1);
          expect(s.getsockopt(SOL.IPV6, IPV6.RECVTCLASS)).toBe(0);
          expect(s.getsockopt(SOL.IPV6, IPV6.TCLASS)).toBe(0);
        } else {
          // An IPv4 socket answers IPv6-level questions with EOPNOTSUPP, and refuses to set them.
          expect(errnoOf(() => s.getsockopt(SOL.IPV6, IPV6.RECVTCLASS))).toBe(Errno.EOPNOTSUPP);
          expect(errnoOf(() => s.setsockopt(SOL.IPV6, IPV6.RECVTCLASS, 1))).toBe(Errno.ENOPROTOOPT);
        }
      }
    }
  });

  it('IP_TTL takes -1 (the default) or 1..255; IP_MULTICAST_TTL -1 (1) or 0..255, EINVAL otherwise and on streams', () => {
    const p = makePair();
    fc.assert(
      fc.property(fc.constantFrom(...families), fc.integer({ min: -300, max: 300 }), (family, v) => {
        const udp = createSocket(p.a, family, SOCK.DGRAM);
        const tcp = createSocket(p.a, family, SOCK.STREAM);
        const ttlOk = v === -1 || (v >= 1 && v <= 255);
        expect(errnoOf(() => tcp.setsockopt(SOL.IP, IP.TTL, v))).toBe(ttlOk ? 0 : Errno.EINVAL);
        expect(tcp.getsockopt(SOL.IP, IP.TTL)).toBe(ttlOk && v !== -1 ? v : DEFAULT_TTL);
        const mcOk = v >= -1 && v <= 255;
        expect(errnoOf(() => udp.setsockopt(SOL.IP, IP.MULTICAST_TTL, v))).toBe(mcOk ? 0 : Errno.EINVAL);
        expect(udp.getsockopt(SOL.IP, IP.MULTICAST_TTL)).toBe(mcOk ? (v === -1 ? 1 : v) : 1);
        expect(errnoOf(() => tcp.setsockopt(SOL.IP, IP.MULTICAST_TTL, 1))).toBe(Errno.EINVAL);
        udp.close();
        tcp.close();
      }),
    );
  });

  it('IP_TOS reads back what was set, except that a TCP socket keeps its own ECN bits', () => {
    const p = makePair();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (v) => {
        const udp = createSocket(p.a, AF.INET6, SOCK.DGRAM);
        const tcp = createSocket(p.a, AF.INET, SOCK.STREAM);
        udp.setsockopt(SOL.IP, IP.TOS, v);
        tcp.setsockopt(SOL.IP, IP.TOS, v);
        expect(udp.getsockopt(SOL.IP, IP.TOS)).toBe(v);
        expect(tcp.getsockopt(SOL.IP, IP.TOS)).toBe(v & ~3);
        udp.close();
        tcp.close();
      }),
    );
  });

  it('flags toggle; IPv6 ints need -1..255 (TCLASS -1 is 0); MULTICAST_LOOP only 0 or 1; PMTU discovery 0..5', () => {
    const p = makePair();
    fc.assert(
      fc.property(fc.integer({ min: -3, max: 300 }), fc.boolean(), (v, on) => {
        const s = createSocket(p.a, AF.INET6, SOCK.DGRAM);
        s.setsockopt(SOL.IPV6, IPV6.RECVPKTINFO, on ? 1 : 0);
        s.setsockopt(SOL.IP, IP.RECVORIGDSTADDR, on ? 7 : 0);
        expect(s.getsockopt(SOL.IPV6, IPV6.RECVPKTINFO)).toBe(on ? 1 : 0);
        expect(s.getsockopt(SOL.IP, IP.RECVORIGDSTADDR)).toBe(on ? 1 : 0);
        const hopsOk = v >= -1 && v <= 255;
        expect(errnoOf(() => s.setsockopt(SOL.IPV6, IPV6.TCLASS, v))).toBe(hopsOk ? 0 : Errno.EINVAL);
        expect(s.getsockopt(SOL.IPV6, IPV6.TCLASS)).toBe(hopsOk && v !== -1 ? v : 0);
        expect(errnoOf(() => s.setsockopt(SOL.IPV6, IPV6.MULTICAST_LOOP, v))).toBe(v === 0 || v === 1 ? 0 : Errno.EINVAL);
        expect(errnoOf(() => s.setsockopt(SOL.IP, IP.MTU_DISCOVER, v))).toBe(v >= 0 && v <= 5 ? 0 : Errno.EINVAL);
        s.close();
      }),
    );
  });

  it('IP_ADD_MEMBERSHIP needs an ip_mreq naming a multicast group; IP_MULTICAST_IF takes the wildcard, a local address or an interface', () => {
    const p = makePair();
    const s = createSocket(p.a, AF.INET, SOCK.DGRAM);
    expect(errnoOf(() => s.setsockopt(SOL.IP, IP.ADD_MEMBERSHIP, new Uint8Array(12)))).toBe(Errno.EINVAL);
    expect(errnoOf(() => s.setsockopt(SOL.IP, IP.ADD_MEMBERSHIP, new Uint8Array(4)))).toBe(Errno.EINVAL);
    expect(errnoOf(() => s.setsockopt(SOL.IP, IP.MULTICAST_IF, new Uint8Array(2)))).toBe(Errno.EINVAL);
    s.setsockopt(SOL.IP, IP.MULTICAST_IF, Uint8Array.of(10, 0, 0, 1));
    expect(s.getsockopt(SOL.IP, IP.MULTICAST_IF)).toEqual(Uint8Array.of(10, 0, 0, 1));
    expect(errnoOf(() => s.setsockopt(SOL.IP, IP.MULTICAST_IF, Uint8Array.of(10, 9, 9, 9)))).toBe(Errno.EADDRNOTAVAIL);
    const mreqn = (ifindex: number) => {
      const b = new Uint8Array(12);
      new DataView(b.buffer).setInt32(8, ifindex, true);
      return b;
    };
    s.setsockopt(SOL.IP, IP.MULTICAST_IF, mreqn(p.a.listNics()[0].id));
    expect(errnoOf(() => s.setsockopt(SOL.IP, IP.MULTICAST_IF, mreqn(999)))).toBe(Errno.EADDRNOTAVAIL);
    s.setsockopt(SOL.IP, IP.MULTICAST_IF, new Uint8Array(12));
    expect(s.getsockopt(SOL.IP, IP.MULTICAST_IF)).toEqual(new Uint8Array(4));
  });
});
