import { describe, expect, it } from 'vitest';
import { AF, Errno, SOCK } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import { errnoOf, loopbackStack } from './harness.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('dual-stack IPv6 sockets and IPv4 peers, as Linux', () => {
  it('UDP sendto an AF_INET address goes the IPv4 way (udpv6_sendmsg), autobinding as ::, and arrives from the v4-mapped sender', () => {
    const { st, clock } = loopbackStack();
    const rx = createSocket(st, AF.INET, SOCK.DGRAM);
    rx.bind({ family: AF.INET, addr: '127.0.0.1', port: 7300 });
    const tx = createSocket(st, AF.INET6, SOCK.DGRAM);
    expect(tx.sendto(bytes('hello'), 0, { family: AF.INET, addr: '127.0.0.1', port: 7300 })).toBe(5);
    const name = tx.getsockname();
    expect(name).toMatchObject({ family: AF.INET6, addr: '::' });
    expect(name.port).toBeGreaterThan(0);
    clock.advance(10);
    const got = rx.recvfrom(10);
    expect(new TextDecoder().decode(got.data)).toBe('hello');
    expect(got.addr).toMatchObject({ family: AF.INET, addr: '127.0.0.1', port: name.port });
  });

  it('UDP sendto an AF_INET address on an IPV6_V6ONLY socket is ENETUNREACH', () => {
    const { st } = loopbackStack();
    const tx = createSocket(st, AF.INET6, SOCK.DGRAM);
    tx.setsockopt(41, 26, 1); // IPPROTO_IPV6, IPV6_V6ONLY
    expect(errnoOf(() => tx.sendto(bytes('x'), 0, { family: AF.INET, addr: '127.0.0.1', port: 7300 }))).toBe(Errno.ENETUNREACH);
  });

  for (const type of [SOCK.DGRAM, SOCK.STREAM]) {
    it(`${type === SOCK.DGRAM ? 'UDP' : 'TCP'} connect from ::1 to a v4-mapped address is ENETUNREACH, even to port 0`, () => {
      const { st } = loopbackStack();
      const s = createSocket(st, AF.INET6, type);
      s.bind({ family: AF.INET6, addr: '::1', port: 0 });
      for (const port of [0, 9]) expect(errnoOf(() => s.connect({ family: AF.INET6, addr: '::ffff:127.0.0.1', port }))).toBe(Errno.ENETUNREACH);
    });
  }
});
