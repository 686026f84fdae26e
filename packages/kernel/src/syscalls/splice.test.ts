// sendfile(2) served in-process on the fake platform.
import { AF, Errno, O, SO, SOCK, SOL, SYS } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('splice-syscalls-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
});

describe('sendfile to a socket whose buffer fills', () => {
  it('moves the file position by what the socket took, so every byte arrives once and in order', () => {
    const t = h.newProcess();
    const size = 300_000;
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
    const path = h.cstr(t, '/in');
    const w = h.syscall(t, SYS.open, path, O.WRONLY | O.CREAT, 0o644) as number;
    const chunk = h.alloc(t, 16384);
    for (let at = 0; at < size; at += 16384) {
      const part = data.subarray(at, at + 16384);
      t.mm.copyOut(chunk, part);
      expect(h.syscall(t, SYS.write, w, chunk, part.length)).toBe(part.length);
    }
    const inFd = h.syscall(t, SYS.open, path, O.RDONLY) as number;

    const fds = h.alloc(t, 8);
    expect(h.syscall(t, SYS.socketpair, AF.UNIX, SOCK.STREAM | SOCK.NONBLOCK, 0, fds)).toBe(0);
    const pair = h.view(t, fds, 8);
    const [rx, tx] = [pair.getInt32(0, true), pair.getInt32(4, true)];
    const small = new Uint8Array(4);
    new DataView(small.buffer).setInt32(0, 8192, true);
    expect(h.syscall(t, SYS.setsockopt, tx, SOL.SOCKET, SO.SNDBUF, h.alloc(t, 4, small), 4)).toBe(0);

    const got: number[] = [];
    const buf = h.alloc(t, 16384);
    let sent = 0;
    let rounds = 0;
    while (got.length < size) {
      expect(++rounds).toBeLessThan(10_000);
      const n = h.syscall(t, SYS.sendfile, tx, inFd, 0, size - sent) as number;
      if (n === -Errno.EAGAIN) {
        const r = h.syscall(t, SYS.read, rx, buf, 16384) as number;
        expect(r).toBeGreaterThan(0);
        got.push(...h.read(t, buf, r));
        continue;
      }
      expect(n).toBeGreaterThanOrEqual(0);
      if (n === 0) {
        // The whole file went: drain what is still queued.
        const r = h.syscall(t, SYS.read, rx, buf, 16384) as number;
        expect(r).toBeGreaterThan(0);
        got.push(...h.read(t, buf, r));
        continue;
      }
      sent += n;
      expect(h.syscall(t, SYS.lseek, inFd, 0, 1 /* SEEK_CUR */)).toBe(sent);
    }
    expect(sent).toBe(size);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
  });
});
