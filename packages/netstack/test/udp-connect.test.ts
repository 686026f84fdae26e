import { describe, expect, it } from 'vitest';
import { AF, Errno, SOCK } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import { errnoOf, loopbackStack } from './harness.js';

describe('UDP connect and disconnect as Linux does them', () => {
  it('connect to port 0 succeeds but leaves no peer to name', () => {
    const { st } = loopbackStack();
    const s = createSocket(st, AF.INET, SOCK.DGRAM);
    s.connect({ family: AF.INET, addr: '0.0.0.0', port: 0 });
    expect(errnoOf(() => s.getpeername())).toBe(Errno.ENOTCONN);
  });

  it('disconnecting (AF_UNSPEC) undoes the implicit bind, keeps what bind() named', () => {
    const { st } = loopbackStack();
    const s = createSocket(st, AF.INET, SOCK.DGRAM);
    s.connect({ family: AF.INET, addr: '127.0.0.1', port: 9 });
    expect(s.getsockname().port).toBeGreaterThan(0);
    s.connect({ family: AF.UNSPEC, addr: '', port: 0 });
    expect(s.getsockname()).toEqual({ family: AF.INET, addr: '0.0.0.0', port: 0 });
    const b = createSocket(st, AF.INET, SOCK.DGRAM);
    b.bind({ family: AF.INET, addr: '127.0.0.1', port: 7777 });
    b.connect({ family: AF.INET, addr: '127.0.0.1', port: 9 });
    b.connect({ family: AF.UNSPEC, addr: '', port: 0 });
    expect(b.getsockname()).toEqual({ family: AF.INET, addr: '127.0.0.1', port: 7777 });
  });

  it('sendto the unspecified address reaches this host; an IPv6 socket may connect to an AF_INET address', () => {
    const { st, clock } = loopbackStack();
    const r = createSocket(st, AF.INET, SOCK.DGRAM);
    r.bind({ family: AF.INET, addr: '127.0.0.1', port: 6000 });
    const s = createSocket(st, AF.INET, SOCK.DGRAM);
    s.sendto(Uint8Array.of(7), 0, { family: AF.INET, addr: '0.0.0.0', port: 6000 });
    const v6 = createSocket(st, AF.INET6, SOCK.DGRAM);
    v6.connect({ family: AF.INET, addr: '127.0.0.1', port: 6000 });
    v6.send(Uint8Array.of(8));
    clock.advance(1);
    expect([...r.recv(10), ...r.recv(10)]).toEqual([7, 8]);
  });
});
