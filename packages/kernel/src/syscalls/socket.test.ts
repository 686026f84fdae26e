// The socket family served in-process on the fake platform: what needs a
// capability and what does not.
import { AF, Errno, SO, SOCK, SOL, SYS } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { KernelHarness } from '../testing/kernel-harness.js';
import { newCredentials } from '../credentials.js';
import { procNetSnmp } from '../fs/proc/net.js';

const memoryFile = MemoryFile.create('socket-syscalls-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
});

function socketPair(t: ReturnType<KernelHarness['newProcess']>, type: number): number {
  const fds = h.alloc(t, 8);
  expect(h.syscall(t, SYS.socketpair, AF.UNIX, type, 0, fds)).toBe(0);
  return h.view(t, fds, 4).getInt32(0, true);
}

function int32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

function setInt(t: ReturnType<KernelHarness['newProcess']>, fd: number, name: number, v: number): number | undefined {
  const p = h.alloc(t, 4, int32(v));
  return h.syscall(t, SYS.setsockopt, fd, SOL.SOCKET, name, p, 4);
}

function getInt(t: ReturnType<KernelHarness['newProcess']>, fd: number, name: number): number {
  const p = h.alloc(t, 8, new Uint8Array([...int32(0), ...int32(4)]));
  expect(h.syscall(t, SYS.getsockopt, fd, SOL.SOCKET, name, p, p + 4)).toBe(0);
  return h.view(t, p, 4).getInt32(0, true);
}

describe('SO_RCVBUFFORCE and SO_SNDBUFFORCE', () => {
  it('root goes past rmem_max (doubled); a negative plain SO_RCVBUF asks for the maximum', () => {
    const t = h.newProcess();
    const fd = socketPair(t, SOCK.STREAM);
    expect(setInt(t, fd, SO.RCVBUF, -1)).toBe(0);
    const max = getInt(t, fd, SO.RCVBUF);
    expect(max).toBe(2 * 212992);
    expect(setInt(t, fd, SO.RCVBUFFORCE, max + 1)).toBe(0);
    expect(getInt(t, fd, SO.RCVBUF)).toBe(2 * (max + 1));
    expect(setInt(t, fd, SO.SNDBUFFORCE, -1)).toBe(0);
    expect(getInt(t, fd, SO.SNDBUF)).toBe(4608);
  });

  it('needs CAP_NET_ADMIN in the initial user namespace: EPERM without it, and a new user namespace does not grant it', () => {
    const user = h.newProcess(undefined, newCredentials(1000, 1000, [1000]));
    const fd = socketPair(user, SOCK.DGRAM);
    expect(setInt(user, fd, SO.RCVBUFFORCE, 1 << 20)).toBe(-Errno.EPERM);
    expect(setInt(user, fd, SO.SNDBUFFORCE, 1 << 20)).toBe(-Errno.EPERM);
    expect(getInt(user, fd, SO.RCVBUF)).toBe(212992); // rmem_default, untouched

    const root = h.newProcess();
    const rootFd = socketPair(root, SOCK.STREAM);
    expect(h.syscall(root, SYS.unshare, 0x10000000)).toBe(0); // CLONE_NEWUSER
    expect(setInt(root, rootFd, SO.RCVBUFFORCE, 1 << 20)).toBe(-Errno.EPERM);
  });
});

describe('a unix socket bound to a path', () => {
  it("makes its file with the socket's own permissions (as fchmod left them) less the umask", () => {
    const t = h.newProcess();
    const s = h.syscall(t, SYS.socket, AF.UNIX, SOCK.STREAM, 0) as number;
    expect(h.syscall(t, SYS.fchmod, s, 0o765)).toBe(0);
    h.syscall(t, SYS.umask, 0o123);
    const path = '/sock';
    const sun = new Uint8Array(2 + path.length + 1);
    sun[0] = AF.UNIX;
    sun.set(new TextEncoder().encode(path), 2);
    expect(h.syscall(t, SYS.bind, s, h.alloc(t, sun.length, sun), sun.length)).toBe(0);
    const st = h.alloc(t, 144);
    expect(h.syscall(t, SYS.stat, h.cstr(t, path), st)).toBe(0);
    expect(h.view(t, st + 24, 4).getUint32(0, true)).toBe(0o140000 | (0o765 & ~0o123)); // st_mode
  });
});

describe('/proc/net/snmp', () => {
  it("shows the stack's UDP datagram counts: one sent and taken, one sent to a port nobody holds", () => {
    const t = h.newProcess();
    const udp = (): Record<string, number> => {
      const lines = procNetSnmp(h.kernel)
        .split('\n')
        .filter((l) => l.startsWith('Udp: '));
      const names = lines[0].split(' ').slice(1);
      const values = lines[1].split(' ').slice(1).map(Number);
      return Object.fromEntries(names.map((n, i) => [n, values[i]]));
    };
    const before = udp();
    const rx = h.syscall(t, SYS.socket, AF.INET, SOCK.DGRAM, 0) as number;
    const tx = h.syscall(t, SYS.socket, AF.INET, SOCK.DGRAM, 0) as number;
    const sin = (port: number) => {
      const b = new Uint8Array(16);
      new DataView(b.buffer).setUint16(0, AF.INET, true);
      new DataView(b.buffer).setUint16(2, port, false);
      b.set([127, 0, 0, 1], 4);
      return h.alloc(t, 16, b);
    };
    expect(h.syscall(t, SYS.bind, rx, sin(5555), 16)).toBe(0);
    const one = h.alloc(t, 1, Uint8Array.of(7));
    expect(h.syscall(t, SYS.sendto, tx, one, 1, 0, sin(5555), 16)).toBe(1);
    expect(h.syscall(t, SYS.sendto, tx, one, 1, 0, sin(5556), 16)).toBe(1);
    expect(h.syscall(t, SYS.recvfrom, rx, h.alloc(t, 8), 8, 0, 0, 0)).toBe(1);
    const after = udp();
    expect(after.OutDatagrams - before.OutDatagrams).toBe(2);
    expect(after.InDatagrams - before.InDatagrams).toBe(1);
    expect(after.NoPorts - before.NoPorts).toBe(1);
  });
});
