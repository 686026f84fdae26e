import { describe, expect, it } from 'vitest';
import { AF, IP, IPPROTO, IPV6, SO, SOCK, SOL } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import { loopbackStack } from './harness.js';

describe('IP-level control messages on received datagrams', () => {
  it('UDP: IP_PKTINFO, IP_RECVTTL, IP_RECVTOS and IP_RECVORIGDSTADDR, in Linux order, only when asked for', () => {
    const { st, clock, lo } = loopbackStack();
    const r = createSocket(st, AF.INET, SOCK.DGRAM);
    r.bind({ family: AF.INET, addr: '127.0.0.1', port: 5000 });
    const s = createSocket(st, AF.INET, SOCK.DGRAM);
    s.setsockopt(SOL.IP, IP.TOS, 0x28);
    s.sendto(Uint8Array.of(1), 0, { family: AF.INET, addr: '127.0.0.1', port: 5000 });
    clock.advance(1);
    expect(r.recvfrom(10, 0).control).toEqual([]);
    for (const o of [IP.PKTINFO, IP.RECVTTL, IP.RECVTOS, IP.RECVORIGDSTADDR]) r.setsockopt(SOL.IP, o, 1);
    s.sendto(Uint8Array.of(2), 0, { family: AF.INET, addr: '127.0.0.1', port: 5000 });
    clock.advance(1);
    const c = r.recvfrom(10, 0).control!;
    expect(c.map((m) => [m.level, m.type])).toEqual([
      [SOL.IP, IP.PKTINFO],
      [SOL.IP, IP.TTL],
      [SOL.IP, IP.TOS],
      [SOL.IP, IP.RECVORIGDSTADDR],
    ]);
    const pktinfo = new DataView(c[0].data.buffer);
    expect(pktinfo.getInt32(0, true)).toBe(lo);
    expect([...c[0].data.subarray(4, 12)]).toEqual([127, 0, 0, 1, 127, 0, 0, 1]);
    expect(new DataView(c[1].data.buffer).getInt32(0, true)).toBe(64);
    expect([...c[2].data]).toEqual([0x28]);
    expect(c[3].data.length).toBe(16);
  });

  it('ping: the reply keeps the request TOS / traffic class and reports the hop limit', () => {
    const { st, clock } = loopbackStack();
    const v6 = createSocket(st, AF.INET6, SOCK.DGRAM, IPPROTO.ICMPV6);
    v6.setsockopt(SOL.IPV6, IPV6.TCLASS, 42);
    v6.setsockopt(SOL.IPV6, IPV6.RECVTCLASS, 1);
    v6.setsockopt(SOL.IPV6, IPV6.RECVHOPLIMIT, 1);
    v6.sendto(Uint8Array.of(128, 0, 0, 0, 0, 0, 0, 1), 0, { family: AF.INET6, addr: '::1', port: 0 });
    clock.advance(1);
    const c = v6.recvfrom(100, 0).control!;
    expect(c.map((m) => [m.type, new DataView(m.data.buffer).getInt32(0, true)])).toEqual([
      [IPV6.HOPLIMIT, 64],
      [IPV6.TCLASS, 42],
    ]);
  });

  it('SO_RCVBUF/SO_SNDBUF clamp the request as unsigned: -1 asks for the maximum', () => {
    const { st } = loopbackStack();
    const s = createSocket(st, AF.INET, SOCK.DGRAM);
    s.setsockopt(SOL.SOCKET, SO.RCVBUF, -1);
    const max = s.getsockopt(SOL.SOCKET, SO.RCVBUF) as number;
    expect(max).toBe(2 * 212992);
    s.setsockopt(SOL.SOCKET, SO.RCVBUF, max + 1);
    expect(s.getsockopt(SOL.SOCKET, SO.RCVBUF)).toBe(max);
  });
});

describe('per-datagram IP header values from sendmsg (SendOptions)', () => {
  const int = (c: { data: Uint8Array }) => new DataView(c.data.buffer, c.data.byteOffset, 4).getInt32(0, true);

  it('IPv4: a datagram carries the TTL and TOS it asked for, the next one the socket defaults; a group send too', () => {
    const { st, clock } = loopbackStack();
    const r = createSocket(st, AF.INET, SOCK.DGRAM);
    r.bind({ family: AF.INET, addr: '127.0.0.1', port: 5000 });
    r.setsockopt(SOL.IP, IP.RECVTTL, 1);
    r.setsockopt(SOL.IP, IP.RECVTOS, 1);
    const s = createSocket(st, AF.INET, SOCK.DGRAM);
    const to = { family: AF.INET, addr: '127.0.0.1', port: 5000 };
    s.sendto(Uint8Array.of(1), 0, to, { ttl: 42, tos: 0x10, hopLimit: 7 });
    s.sendto(Uint8Array.of(2), 0, to);
    clock.advance(1);
    const first = r.recvfrom(10, 0).control!;
    expect(int(first.find((c) => c.type === IP.TTL)!)).toBe(42);
    expect([...first.find((c) => c.type === IP.TOS)!.data]).toEqual([0x10]);
    const second = r.recvfrom(10, 0).control!;
    expect(int(second.find((c) => c.type === IP.TTL)!)).toBe(64);
    expect([...second.find((c) => c.type === IP.TOS)!.data]).toEqual([0]);
  });

  it('IPv6: the hop limit and traffic class apply; IPv4 values do not', () => {
    const { st, clock } = loopbackStack();
    const r = createSocket(st, AF.INET6, SOCK.DGRAM);
    r.bind({ family: AF.INET6, addr: '::1', port: 5000 });
    r.setsockopt(SOL.IPV6, IPV6.RECVHOPLIMIT, 1);
    r.setsockopt(SOL.IPV6, IPV6.RECVTCLASS, 1);
    const s = createSocket(st, AF.INET6, SOCK.DGRAM);
    s.sendto(Uint8Array.of(1), 0, { family: AF.INET6, addr: '::1', port: 5000 }, { ttl: 9, hopLimit: 42, tclass: 0x20 });
    clock.advance(1);
    const c = r.recvfrom(10, 0).control!;
    expect(int(c.find((m) => m.type === IPV6.HOPLIMIT)!)).toBe(42);
    expect(int(c.find((m) => m.type === IPV6.TCLASS)!)).toBe(0x20);
  });
});
