import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AF, Errno, ICMP, ICMP6, IP, IPPROTO, IPV6, POLL, SO, SOCK, SOL } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import { skbTruesize } from '../src/socket/raw-socket.js';
import { internetChecksum } from '../src/wire/checksum.js';
import { errnoOf, loopbackStack } from './harness.js';

const LO4 = { family: AF.INET, addr: '127.0.0.1', port: 0 };
const LO6 = { family: AF.INET6, addr: '::1', port: 0 };

describe('raw IP sockets', () => {
  it('IPv4: a copy of each inbound packet of the protocol, IP header included, on every raw socket', () => {
    const { st, clock } = loopbackStack();
    const a = createSocket(st, AF.INET, SOCK.RAW, IPPROTO.UDP);
    const b = createSocket(st, AF.INET, SOCK.RAW, IPPROTO.UDP);
    expect(a.sendto(Uint8Array.of(1, 2, 3, 4), 0, LO4)).toBe(4);
    clock.advance(1);
    for (const s of [a, b]) {
      expect(s.poll() & POLL.IN).toBeTruthy();
      const r = s.recvfrom(100);
      expect(r.addr).toEqual(LO4);
      expect(r.data.length).toBe(24);
      expect(r.data[0]).toBe(0x45);
      expect(r.data[9]).toBe(IPPROTO.UDP);
      expect(internetChecksum(r.data, 0, 20)).toBe(0);
      expect([...r.data.subarray(20)]).toEqual([1, 2, 3, 4]);
    }
    // The port field of the socket's name holds the protocol; a raw socket never has a peer.
    expect(a.getsockname()).toEqual({ family: AF.INET, addr: '0.0.0.0', port: IPPROTO.UDP });
    a.connect(LO4);
    expect(a.getsockname().addr).toBe('127.0.0.1');
    expect(errnoOf(() => a.getpeername())).toBe(Errno.ENOTCONN);
    expect(errnoOf(() => b.send(Uint8Array.of(1)))).toBe(Errno.EDESTADDRREQ);
    expect(errnoOf(() => b.shutdown(1))).toBe(Errno.ENOTCONN);
    expect(errnoOf(() => b.listen(1))).toBe(Errno.EOPNOTSUPP);
    expect(errnoOf(() => b.bind({ family: AF.INET, addr: '1.0.0.0', port: 0 }))).toBe(Errno.EADDRNOTAVAIL);
    expect(errnoOf(() => createSocket(st, AF.INET, SOCK.RAW, 0))).toBe(Errno.EPROTONOSUPPORT);
  });

  it('a datagram a raw socket builds reaches the UDP socket on its port', () => {
    const { st, clock } = loopbackStack();
    const udp = createSocket(st, AF.INET, SOCK.DGRAM, 0);
    udp.bind({ family: AF.INET, addr: '127.0.0.1', port: 4000 });
    const raw = createSocket(st, AF.INET, SOCK.RAW, IPPROTO.UDP);
    // Source port 1234, destination 4000, length 10, checksum 0 (none), "hi".
    raw.sendto(Uint8Array.of(0x04, 0xd2, 0x0f, 0xa0, 0, 10, 0, 0, 0x68, 0x69), 0, LO4);
    clock.advance(1);
    const r = udp.recvfrom(100);
    expect(new TextDecoder().decode(r.data)).toBe('hi');
    expect(r.addr).toEqual({ family: AF.INET, addr: '127.0.0.1', port: 1234 });
  });

  it('ICMP: sees the echo request and its reply; ICMP_FILTER drops the types it names', () => {
    const { st, clock } = loopbackStack();
    const all = createSocket(st, AF.INET, SOCK.RAW, IPPROTO.ICMP);
    const repliesOnly = createSocket(st, AF.INET, SOCK.RAW, IPPROTO.ICMP);
    repliesOnly.setsockopt(SOL.RAW, ICMP.FILTER, Uint8Array.of(0, 1, 0, 0)); // bit 8: echo request
    const req = Uint8Array.of(8, 0, 0, 0, 0x12, 0x34, 0, 1, 0xaa);
    const sum = internetChecksum(req);
    req[2] = sum >> 8;
    req[3] = sum & 0xff;
    all.sendto(req, 0, LO4);
    clock.advance(1);
    const types = (s: typeof all) => {
      const out: number[] = [];
      while (s.poll() & POLL.IN) out.push(s.recv(200)[20]);
      return out;
    };
    expect(types(all)).toEqual([8, 0]);
    expect(types(repliesOnly)).toEqual([0]);
    expect([...(repliesOnly.getsockopt(SOL.RAW, ICMP.FILTER) as Uint8Array)]).toEqual([0, 1, 0, 0]);
    const udpRaw = createSocket(st, AF.INET, SOCK.RAW, IPPROTO.UDP);
    expect(errnoOf(() => udpRaw.setsockopt(SOL.RAW, ICMP.FILTER, Uint8Array.of(0, 0, 0, 0)))).toBe(Errno.EOPNOTSUPP);
  });

  it('IP_HDRINCL: the caller writes the header; the stack fills length, checksum, id and a zero source', () => {
    const { st, clock } = loopbackStack();
    const rx = createSocket(st, AF.INET, SOCK.RAW, IPPROTO.UDP);
    const tx = createSocket(st, AF.INET, SOCK.RAW, IPPROTO.RAW);
    expect(tx.getsockopt(SOL.IP, IP.HDRINCL)).toBe(1);
    // version/IHL, TOS 0x10, bogus length, id 0, no flags, TTL 7, UDP, bad checksum, source 0, destination 127.0.0.1.
    const pkt = Uint8Array.of(0x45, 0x10, 0, 1, 0, 0, 0, 0, 7, 17, 0xde, 0xad, 0, 0, 0, 0, 127, 0, 0, 1, 9, 8, 7, 6);
    expect(tx.sendto(pkt, 0, LO4)).toBe(pkt.length);
    clock.advance(1);
    const r = rx.recv(100);
    expect(r.length).toBe(24);
    expect((r[2] << 8) | r[3]).toBe(24);
    expect(r[1]).toBe(0x10);
    expect(r[8]).toBe(7);
    expect([...r.subarray(12, 16)]).toEqual([127, 0, 0, 1]);
    expect(internetChecksum(r, 0, 20)).toBe(0);
    expect([...r.subarray(20)]).toEqual([9, 8, 7, 6]);
    expect(errnoOf(() => tx.sendto(Uint8Array.of(0x45, 0, 0), 0, LO4))).toBe(Errno.EINVAL);
  });

  it('IPv6: payload only; IPV6_CHECKSUM computes on send and drops bad checksums on receive', () => {
    const { st, clock } = loopbackStack();
    const plain = createSocket(st, AF.INET6, SOCK.RAW, IPPROTO.UDP);
    const checked = createSocket(st, AF.INET6, SOCK.RAW, IPPROTO.UDP);
    expect(plain.getsockopt(SOL.IPV6, IPV6.CHECKSUM)).toBe(-1);
    expect(errnoOf(() => checked.setsockopt(SOL.IPV6, IPV6.CHECKSUM, 3))).toBe(Errno.EINVAL);
    checked.setsockopt(SOL.IPV6, IPV6.CHECKSUM, 6);
    const udp = new Uint8Array(12);
    udp[11] = 1;
    plain.sendto(udp, 0, LO6);
    clock.advance(1);
    expect(plain.recv(100)[11]).toBe(1);
    expect(checked.poll() & POLL.IN).toBe(0); // checksum 0 fails its check
    udp[11] = 2;
    checked.sendto(udp, 0, LO6);
    clock.advance(1);
    for (const s of [plain, checked]) {
      const r = s.recvfrom(100);
      expect(r.addr).toEqual({ ...LO6, flowinfo: 0, scopeId: 0 });
      expect(r.data[11]).toBe(2);
      expect((r.data[6] << 8) | r.data[7]).not.toBe(0);
    }
    const icmp6 = createSocket(st, AF.INET6, SOCK.RAW, IPPROTO.ICMPV6);
    expect(errnoOf(() => icmp6.setsockopt(SOL.IPV6, IPV6.CHECKSUM, 2))).toBe(Errno.EINVAL);
    expect(errnoOf(() => plain.setsockopt(SOL.IP, IP.HDRINCL, 1))).toBe(Errno.ENOPROTOOPT);
  });

  it('ICMP6_FILTER blocks the ICMPv6 types it names; SHUT_RD still queues, then reads end at 0', () => {
    const { st, clock } = loopbackStack();
    const s = createSocket(st, AF.INET6, SOCK.RAW, IPPROTO.ICMPV6);
    expect([...(s.getsockopt(IPPROTO.ICMPV6, ICMP6.FILTER) as Uint8Array)]).toEqual(new Array(32).fill(0));
    const block = new Uint8Array(32);
    block[128 >> 3] = 1 << (128 & 7); // echo request
    s.setsockopt(IPPROTO.ICMPV6, ICMP6.FILTER, block);
    s.connect(LO6);
    s.shutdown(0);
    s.send(Uint8Array.of(128, 0, 0, 0, 0, 1, 0, 1));
    clock.advance(1);
    expect(s.recv(100)[0]).toBe(129);
    expect(s.recv(100).length).toBe(0);
    const v4 = createSocket(st, AF.INET, SOCK.RAW, IPPROTO.ICMP);
    expect(errnoOf(() => v4.getsockopt(SOL.IPV6, IPV6.CHECKSUM))).toBe(Errno.EOPNOTSUPP);
    expect(errnoOf(() => v4.setsockopt(SOL.IPV6, IPV6.CHECKSUM, 2))).toBe(Errno.ENOPROTOOPT);
  });

  it('IP_HDRINCL over loopback arrives whatever the header names as destination', () => {
    const { st, clock } = loopbackStack();
    const rx = createSocket(st, AF.INET, SOCK.RAW, 253);
    const tx = createSocket(st, AF.INET, SOCK.RAW, IPPROTO.RAW);
    tx.sendto(Uint8Array.of(0x45, 0, 0, 0, 0, 0, 0, 0, 64, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 42), 0, LO4);
    clock.advance(1);
    const r = rx.recvfrom(100);
    expect(r.addr?.addr).toBe('127.0.0.1');
    expect([...r.data.subarray(16, 20)]).toEqual([0, 0, 0, 42]);
  });

  it('the receive buffer drops once full, charging each packet as Linux does', () => {
    const { st, clock } = loopbackStack();
    const s = createSocket(st, AF.INET, SOCK.RAW, IPPROTO.UDP);
    s.setsockopt(SOL.SOCKET, SO.RCVBUF, 0);
    const min = s.getsockopt(SOL.SOCKET, SO.RCVBUF) as number;
    expect(min).toBe(2304);
    s.setsockopt(SOL.SOCKET, SO.RCVBUF, min * 2);
    for (let i = 0; i < 4; i++) s.sendto(new Uint8Array(min), 0, LO4);
    clock.advance(1);
    let n = 0;
    while (s.poll() & POLL.IN) {
      s.recv(min + 20);
      n++;
    }
    expect(n).toBe(3);
  });

  it('property: any payload comes back behind a valid IPv4 header, and the buffer charge grows with size', () => {
    const { st, clock } = loopbackStack();
    const s = createSocket(st, AF.INET, SOCK.RAW, 253);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), (payload) => {
        s.sendto(payload, 0, LO4);
        clock.advance(1);
        const r = s.recv(4000);
        expect(r.length).toBe(payload.length + 20);
        expect(r[9]).toBe(253);
        expect(internetChecksum(r, 0, 20)).toBe(0);
        expect(Buffer.from(r.subarray(20)).equals(Buffer.from(payload))).toBe(true);
        expect(skbTruesize(payload.length)).toBeGreaterThan(payload.length);
        expect(skbTruesize(payload.length + 1)).toBeGreaterThanOrEqual(skbTruesize(payload.length));
      }),
      { numRuns: 50 },
    );
  });
});
