import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AF, Errno, SO, SOCK, SOL } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import type { Socket } from '../src/socket/types.js';
import { errnoOf, loopbackStack } from './harness.js';

const lo = (port: number) => ({ family: AF.INET, addr: '127.0.0.1', port });

/** Binds sockets of `type` to 127.0.0.1:0 until bind fails; the ports taken and the failing errno. */
function exhaust(type: number, reuseAddr: boolean, first: number, last: number): { ports: number[]; errno: number } {
  const { st } = loopbackStack(false);
  st.setEphemeralPorts(first, last);
  const ports: number[] = [];
  for (let i = 0; i <= last - first + 1; i++) {
    const s: Socket = createSocket(st, AF.INET, type);
    if (reuseAddr) s.setsockopt(SOL.SOCKET, SO.REUSEADDR, 1);
    const errno = errnoOf(() => s.bind(lo(0)));
    if (errno) return { ports, errno };
    ports.push(s.getsockname().port);
  }
  return { ports, errno: 0 };
}

describe('ephemeral ports (net.ipv4.ip_local_port_range)', () => {
  it('TCP and UDP take every port of the range once, then bind is EADDRINUSE; SO_REUSEADDR does not let TCP share one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1024, max: 65000 }), fc.integer({ min: 0, max: 40 }), fc.boolean(), (first, size, tcp) => {
        const last = first + size;
        const { ports, errno } = exhaust(tcp ? SOCK.STREAM : SOCK.DGRAM, tcp, first, last);
        expect(errno).toBe(Errno.EADDRINUSE);
        expect(new Set(ports).size).toBe(size + 1);
        expect(ports.every((p) => p >= first && p <= last)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('UDP sockets with SO_REUSEADDR may be given a port another such socket holds (udp_lib_get_port)', () => {
    const { ports, errno } = exhaust(SOCK.DGRAM, true, 40000, 40049);
    // The loop stops after one more bind than the range holds: a duplicate is certain by then.
    expect(errno).toBe(0);
    expect(new Set(ports).size).toBeLessThan(ports.length);
  });

  it("an unbound UDP socket's send finds no port: EAGAIN (inet_autobind); a TCP connect: EADDRNOTAVAIL", () => {
    const { st } = loopbackStack(false);
    st.setEphemeralPorts(50000, 50000);
    const holder = createSocket(st, AF.INET, SOCK.DGRAM);
    holder.bind(lo(0));
    expect(holder.getsockname().port).toBe(50000);
    const u = createSocket(st, AF.INET, SOCK.DGRAM);
    expect(errnoOf(() => u.sendto(new Uint8Array(1), 0, lo(9)))).toBe(Errno.EAGAIN);
    const listener = createSocket(st, AF.INET, SOCK.STREAM);
    listener.bind(lo(0));
    expect(listener.getsockname().port).toBe(50000);
    listener.listen(1);
    const c = createSocket(st, AF.INET, SOCK.STREAM);
    expect(errnoOf(() => c.connect(lo(50000)))).toBe(Errno.EADDRNOTAVAIL);
  });

  it('TCP connects share a port while their peers differ, and take a loopback 4-tuple from the second after it went to TIME_WAIT (tcp_tw_reuse=2)', () => {
    const { st, clock } = loopbackStack(false);
    st.setEphemeralPorts(50000, 50000);
    const listeners = [6000, 6001].map((port) => {
      const l = createSocket(st, AF.INET, SOCK.STREAM);
      l.bind(lo(port));
      l.listen(4);
      return l;
    });
    const connect = (port: number) => {
      const c = createSocket(st, AF.INET, SOCK.STREAM);
      const errno = errnoOf(() => c.connect(lo(port)));
      clock.advance(10);
      return { c, errno };
    };
    const first = connect(6000);
    expect(first.errno === 0 || first.errno === Errno.EINPROGRESS).toBe(true);
    expect(first.c.getsockname().port).toBe(50000);
    const second = connect(6001);
    expect(second.c.getsockname().port).toBe(50000);
    expect(connect(6000).errno).toBe(Errno.EADDRNOTAVAIL);
    // The client closes first, so its end waits in TIME_WAIT.
    const server = listeners[0].accept();
    first.c.close();
    clock.advance(10);
    server.close();
    clock.advance(10);
    // Within the second the connection entered TIME_WAIT its tuple stays taken; from the next one it is free.
    expect(connect(6000).errno).toBe(Errno.EADDRNOTAVAIL);
    clock.advance(1000 - (clock.now() % 1000));
    const again = connect(6000);
    expect(again.errno === 0 || again.errno === Errno.EINPROGRESS).toBe(true);
    expect(again.c.getsockname().port).toBe(50000);
  });

  it('refuses ranges Linux refuses: first above last, first below 1024, last above 65535', () => {
    const { st } = loopbackStack(false);
    for (const [first, last] of [
      [3000, 2999],
      [1023, 2000],
      [60000, 65536],
    ]) {
      expect(errnoOf(() => st.setEphemeralPorts(first, last))).toBe(Errno.EINVAL);
    }
    st.setEphemeralPorts(1024, 65535);
    expect(st.ephemeralPorts).toEqual({ first: 1024, last: 65535 });
  });
});
