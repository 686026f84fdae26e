import { describe, expect, it } from 'vitest';
import { AF, Errno, IP, IPPROTO, MSG, POLL, SO, SOCK, SOL } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import { internetChecksum } from '../src/wire/checksum.js';
import { errnoOf, loopbackStack, makePair } from './harness.js';

/** An echo request header (type, code 0, checksum 0, ident, seq) and `payload`. */
function echo(type: number, ident: number, seq: number, payload: number[] = []): Uint8Array {
  return Uint8Array.of(type, 0, 0, 0, ident >> 8, ident & 0xff, seq >> 8, seq & 0xff, ...payload);
}

describe('ICMP datagram ("ping") sockets', () => {
  it('send an echo request with the socket identifier and receive the reply, as icmp(7) describes', () => {
    const { st, clock } = loopbackStack();
    const s = createSocket(st, AF.INET, SOCK.DGRAM, IPPROTO.ICMP);
    expect(s.protocol).toBe(IPPROTO.ICMP);
    expect(s.getsockopt(SOL.SOCKET, SO.PROTOCOL)).toBe(IPPROTO.ICMP);
    // The caller's identifier (0x1234) is replaced by the socket's.
    expect(s.sendto(echo(8, 0x1234, 7, [1, 2, 3]), 0, { family: AF.INET, addr: '127.0.0.1', port: 0 })).toBe(11);
    const ident = s.getsockname().port;
    expect(ident).toBeGreaterThan(0);
    clock.advance(1);
    expect(s.poll() & POLL.IN).toBeTruthy();
    const r = s.recvfrom(100);
    expect(r.addr).toEqual({ family: AF.INET, addr: '127.0.0.1', port: 0 });
    expect([...r.data.subarray(0, 2)]).toEqual([0, 0]); // echo reply, code 0
    expect((r.data[4] << 8) | r.data[5]).toBe(ident);
    expect((r.data[6] << 8) | r.data[7]).toBe(7);
    expect([...r.data.subarray(8)]).toEqual([1, 2, 3]);
    expect(internetChecksum(r.data)).toBe(0);
    expect(errnoOf(() => s.recv(100))).toBe(Errno.EAGAIN);
  });

  it('IPv6: echo over ::1 through a connected socket; truncation reports MSG_TRUNC', () => {
    const { st, clock } = loopbackStack();
    const s = createSocket(st, AF.INET6, SOCK.DGRAM, IPPROTO.ICMPV6);
    s.connect({ family: AF.INET6, addr: '::1', port: 0 });
    expect(s.getpeername().addr).toBe('::1');
    s.send(echo(128, 0, 1, [9, 9, 9, 9]));
    clock.advance(1);
    const r = s.recvfrom(4, MSG.PEEK);
    expect(r.flags & MSG.TRUNC).toBeTruthy();
    expect(r.length).toBe(12);
    expect(r.data[0]).toBe(129);
    expect(s.recv(100).length).toBe(12);
  });

  it('IP_PKTINFO on a reply: the interface and the header destination, with ipi_spec_dst left 0.0.0.0 as Linux leaves it for ping sockets', () => {
    const { st, clock, lo } = loopbackStack();
    const s = createSocket(st, AF.INET, SOCK.DGRAM, IPPROTO.ICMP);
    s.setsockopt(SOL.IP, IP.PKTINFO, 1);
    s.sendto(echo(8, 0, 1), 0, { family: AF.INET, addr: '127.0.0.1', port: 0 });
    clock.advance(1);
    const r = s.recvfrom(100);
    const info = r.control?.find((c) => c.level === SOL.IP && c.type === IP.PKTINFO);
    expect(info).toBeDefined();
    const v = new DataView(info!.data.buffer, info!.data.byteOffset, 12);
    expect(v.getInt32(0, true)).toBe(lo);
    expect([...info!.data.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    expect([...info!.data.subarray(8, 12)]).toEqual([127, 0, 0, 1]);
  });

  it('deliver a reply only to the socket whose identifier it carries', () => {
    const { st, clock } = loopbackStack();
    const a = createSocket(st, AF.INET, SOCK.DGRAM, IPPROTO.ICMP);
    const b = createSocket(st, AF.INET, SOCK.DGRAM, IPPROTO.ICMP);
    a.bind({ family: AF.INET, addr: '127.0.0.1', port: 4242 });
    b.bind({ family: AF.INET, addr: '0.0.0.0', port: 4343 });
    expect(errnoOf(() => b.bind({ family: AF.INET, addr: '0.0.0.0', port: 1 }))).toBe(Errno.EINVAL);
    a.sendto(echo(8, 0, 1), 0, { family: AF.INET, addr: '127.0.0.1', port: 0 });
    clock.advance(1);
    expect(a.recv(100).length).toBe(8);
    expect(errnoOf(() => b.recv(100))).toBe(Errno.EAGAIN);
  });

  it('reject what Linux rejects: short or non-echo messages, bad bind addresses, oversized payloads', () => {
    const { st } = loopbackStack();
    const v4 = createSocket(st, AF.INET, SOCK.DGRAM, IPPROTO.ICMP);
    const v6 = createSocket(st, AF.INET6, SOCK.DGRAM, IPPROTO.ICMPV6);
    const lo4 = { family: AF.INET, addr: '127.0.0.1', port: 0 };
    expect(errnoOf(() => v4.sendto(Uint8Array.of(8, 0, 0), 0, lo4))).toBe(Errno.EINVAL);
    expect(errnoOf(() => v4.sendto(echo(0, 0, 0), 0, lo4))).toBe(Errno.EINVAL);
    expect(errnoOf(() => v4.send(echo(8, 0, 0)))).toBe(Errno.EDESTADDRREQ);
    expect(errnoOf(() => v4.sendto(new Uint8Array(1 << 21).fill(8, 0, 1), 0, lo4))).toBe(Errno.EMSGSIZE);
    for (const addr of ['255.255.255.255', '127.255.255.255', '224.0.0.1', '192.168.1.1']) {
      expect(errnoOf(() => v4.bind({ family: AF.INET, addr, port: 0 }))).toBe(Errno.EADDRNOTAVAIL);
    }
    expect(errnoOf(() => v4.bind({ family: AF.INET6, addr: '::1', port: 0 }))).toBe(Errno.EAFNOSUPPORT);
    expect(errnoOf(() => v6.bind({ family: AF.INET, addr: '127.0.0.1', port: 0 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => v6.bind({ family: AF.INET6, addr: 'ff02::1', port: 0 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => v6.bind({ family: AF.INET6, addr: 'fc00::1', port: 0 }))).toBe(Errno.EADDRNOTAVAIL);
    expect(errnoOf(() => v6.bind({ family: AF.INET6, addr: '::1', port: 0 }))).toBe(0);
    expect(errnoOf(() => createSocket(st, AF.INET, SOCK.DGRAM, IPPROTO.ICMPV6))).toBe(Errno.EPROTONOSUPPORT);
  });

  it('ping a neighbour over a link (the reply comes back through the other stack)', () => {
    const p = makePair();
    const s = createSocket(p.a, AF.INET, SOCK.DGRAM, IPPROTO.ICMP);
    s.sendto(echo(8, 0, 3, [42]), 0, { family: AF.INET, addr: '10.0.0.2', port: 0 });
    expect(p.clock.runUntil(() => (s.poll() & POLL.IN) !== 0, 5000)).toBe(true);
    const r = s.recvfrom(100);
    expect(r.addr?.addr).toBe('10.0.0.2');
    expect(r.data[8]).toBe(42);
  });
});
