import { AF, Errno, IP, SO, SOCK, SOL, SockaddrIn, SockaddrIn6, TCP } from '@tvisor/abi';
import { createSocket, IpAddress, LoopbackEndpoint, Stack, VirtualClock } from '@tvisor/netstack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../kernel.js';
import { encodeIntOption } from '../socket.js';
import { newSocketInode } from '../sockfs.js';
import { decodeInetAddress, encodeInetAddress, InetSocket } from './inet-socket.js';
import { errnoOf } from '../../testing/errno.js';

describe('inet sockaddr codecs', () => {
  it('round-trip sockaddr_in and sockaddr_in6 bytes through netstack addresses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 0xffff }), (addr, port) => {
        const raw = new Uint8Array(SockaddrIn.size);
        SockaddrIn.encode(new DataView(raw.buffer), 0, { sin_family: AF.INET, sin_port: port, sin_addr: addr });
        const sa = decodeInetAddress(AF.INET, raw);
        expect(sa).toEqual({ family: AF.INET, addr: IpAddress.fromBytes(addr).key, port });
        expect(encodeInetAddress(sa)).toEqual(raw);
      }),
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.nat({ max: 0xfffff }),
        fc.nat({ max: 0xffff }),
        (addr, port, flowinfo, scope) => {
          const raw = new Uint8Array(SockaddrIn6.size);
          SockaddrIn6.encode(new DataView(raw.buffer), 0, {
            sin6_family: AF.INET6,
            sin6_port: port,
            sin6_flowinfo: flowinfo,
            sin6_addr: addr,
            sin6_scope_id: scope,
          });
          const sa = decodeInetAddress(AF.INET6, raw);
          expect(sa.port).toBe(port);
          expect(IpAddress.parse(sa.addr).bytes).toEqual(addr);
          expect(encodeInetAddress(sa)).toEqual(raw);
        },
      ),
    );
  });

  it('reject short addresses and unknown families as Linux does', () => {
    const sin = new Uint8Array(SockaddrIn.size);
    sin[0] = AF.INET;
    expect(errnoOf(() => decodeInetAddress(AF.INET, sin.subarray(0, 15)))).toBe(Errno.EINVAL);
    const sin6 = new Uint8Array(SockaddrIn6.size);
    sin6[0] = AF.INET6;
    // Linux takes the RFC 2133 length (no scope id), not less.
    expect(errnoOf(() => decodeInetAddress(AF.INET6, sin6.subarray(0, 24)))).toBe(0);
    expect(errnoOf(() => decodeInetAddress(AF.INET6, sin6.subarray(0, 23)))).toBe(Errno.EINVAL);
    // The length the socket's own family needs is checked before the family (inet_bind, inet6_bind).
    const unix = Uint8Array.of(AF.UNIX, 0, 0x2f);
    expect(errnoOf(() => decodeInetAddress(AF.INET, unix))).toBe(Errno.EINVAL);
    expect(errnoOf(() => decodeInetAddress(AF.INET6, unix))).toBe(Errno.EINVAL);
    const longUnix = new Uint8Array(SockaddrIn6.size);
    longUnix[0] = AF.UNIX;
    expect(errnoOf(() => decodeInetAddress(AF.INET, longUnix.subarray(0, SockaddrIn.size)))).toBe(Errno.EAFNOSUPPORT);
    expect(errnoOf(() => decodeInetAddress(AF.INET6, longUnix.subarray(0, SockaddrIn.size)))).toBe(Errno.EINVAL);
    expect(errnoOf(() => decodeInetAddress(AF.INET6, longUnix))).toBe(Errno.EAFNOSUPPORT);
    expect(decodeInetAddress(AF.INET, Uint8Array.of(AF.UNSPEC, 0)).family).toBe(AF.UNSPEC);
  });
});

describe('SOL_SOCKET options on inet sockets', () => {
  const socket = (family: number, type: number) => {
    const stack = new Stack({ clock: new VirtualClock() });
    stack.addAddress(stack.addNic(new LoopbackEndpoint(), 'lo'), '127.0.0.1/8');
    return new InetSocket(newSocketInode({ uid: 0, gid: 0, groups: [] }), {} as Kernel, createSocket(stack, family, type));
  };
  const get = (s: InetSocket, name: number) => new DataView(s.getOption(SOL.SOCKET, name).buffer).getInt32(0, true);

  it('boolean options read back what was set on TCP and UDP (SO_BROADCAST, SO_NO_CHECK, SO_REUSEADDR, SO_KEEPALIVE, SO_OOBINLINE)', () => {
    for (const family of [AF.INET, AF.INET6]) {
      for (const type of [SOCK.STREAM, SOCK.DGRAM]) {
        for (const name of [SO.BROADCAST, SO.NO_CHECK, SO.REUSEADDR, SO.KEEPALIVE, SO.OOBINLINE]) {
          const s = socket(family, type);
          expect(get(s, name)).toBe(0);
          s.setOption(SOL.SOCKET, name, encodeIntOption(1));
          expect(get(s, name)).toBe(1);
        }
      }
    }
  });

  it('an integer IP option set with no bytes sets 0, except the multicast TTL and loop (EINVAL), as do_ip_setsockopt does', () => {
    for (const type of [SOCK.STREAM, SOCK.DGRAM]) {
      const s = socket(AF.INET, type);
      s.setOption(SOL.IP, IP.TOS, Uint8Array.of(0x20));
      expect(new DataView(s.getOption(SOL.IP, IP.TOS).buffer).getInt32(0, true)).toBe(0x20);
      s.setOption(SOL.IP, IP.TOS, new Uint8Array(0));
      expect(new DataView(s.getOption(SOL.IP, IP.TOS).buffer).getInt32(0, true)).toBe(0);
      expect(errnoOf(() => s.setOption(SOL.IP, IP.MULTICAST_LOOP, new Uint8Array(0)))).toBe(Errno.EINVAL);
      expect(errnoOf(() => s.setOption(SOL.IP, IP.TTL, new Uint8Array(0)))).toBe(Errno.EINVAL);
    }
  });

  it('SO_PASSCRED is EOPNOTSUPP on inet sockets (Linux 6.16 on)', () => {
    const s = socket(AF.INET, SOCK.DGRAM);
    expect(errnoOf(() => s.getOption(SOL.SOCKET, SO.PASSCRED))).toBe(Errno.EOPNOTSUPP);
    expect(errnoOf(() => s.setOption(SOL.SOCKET, SO.PASSCRED, encodeIntOption(1)))).toBe(Errno.EOPNOTSUPP);
  });
});

describe('TCP options the kernel encodes', () => {
  const pair = () => {
    const clock = new VirtualClock();
    const stack = new Stack({ clock });
    stack.addAddress(stack.addNic(new LoopbackEndpoint(), 'lo'), '127.0.0.1/8');
    const wrap = (inner: ReturnType<typeof createSocket>) => new InetSocket(newSocketInode({ uid: 0, gid: 0, groups: [] }), {} as Kernel, inner);
    const l = createSocket(stack, AF.INET, SOCK.STREAM);
    l.bind({ family: AF.INET, addr: '127.0.0.1', port: 5000 });
    l.listen(4);
    const c = createSocket(stack, AF.INET, SOCK.STREAM);
    errnoOf(() => c.connect({ family: AF.INET, addr: '127.0.0.1', port: 5000 }));
    clock.advance(10);
    return { clock, client: wrap(c), server: wrap(l.accept()) };
  };

  it('TCP_CONGESTION reads back as a zero-padded TCP_CA_NAME_MAX (16 byte) field, as Linux copies it', () => {
    const { client } = pair();
    const v = client.getOption(SOL.TCP, TCP.CONGESTION);
    expect(v.length).toBe(16);
    expect(new TextDecoder().decode(v).replace(/\0+$/, '')).toBe('cubic');
  });

  it('TCP_INQ adds a SOL_TCP/TCP_CM_INQ control message with the bytes left after each read', () => {
    const { clock, client, server } = pair();
    expect(client.inner.send(new Uint8Array(1000))).toBe(1000);
    clock.advance(100);
    expect(server.recv(100, 0).control).toBeUndefined();
    server.setOption(SOL.TCP, TCP.INQ, encodeIntOption(1));
    const msg = server.recv(300, 0);
    expect(msg.data.length).toBe(300);
    expect(msg.control).toHaveLength(1);
    const [c] = msg.control!;
    expect([c.level, c.type]).toEqual([SOL.TCP, TCP.CM_INQ]);
    expect(new DataView(c.data.buffer).getInt32(0, true)).toBe(600);
  });
});
