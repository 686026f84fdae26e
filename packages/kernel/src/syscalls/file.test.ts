// The file family (open/read/write/lseek/close, pipes) served in-process on
// the fake platform: real results and errnos, no ptrace.
import { AT, Errno, O, SYS, Signal } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { REG } from '@tvisor/platform';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { sigbit } from '../signals.js';
import type { Task } from '../task.js';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('file-syscalls-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
let t: Task;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  t = h.newProcess();
});

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('open, read, write, lseek, close', () => {
  it('writes a new tmpfs file and reads it back at offsets', () => {
    const path = h.cstr(t, '/hello.txt');
    const fd = h.syscall(t, SYS.openat, AT.FDCWD, path, O.CREAT | O.RDWR | O.EXCL, 0o644)!;
    expect(fd).toBe(0);
    const data = bytes('hello, sandbox');
    expect(h.syscall(t, SYS.write, fd, h.alloc(t, data.length, data), data.length)).toBe(data.length);
    expect(h.syscall(t, SYS.lseek, fd, 7, 0)).toBe(7);
    const buf = h.alloc(t, 32);
    expect(h.syscall(t, SYS.read, fd, buf, 32)).toBe(7);
    expect(text(h.read(t, buf, 7))).toBe('sandbox');
    expect(h.syscall(t, SYS.pread64, fd, buf, 5, 0)).toBe(5);
    expect(text(h.read(t, buf, 5))).toBe('hello');
    expect(h.syscall(t, SYS.close, fd)).toBe(0);
    expect(h.syscall(t, SYS.close, fd)).toBe(-Errno.EBADF);
    expect(h.syscall(t, SYS.read, fd, buf, 1)).toBe(-Errno.EBADF);
  });

  it('reports ENOENT, EEXIST, EISDIR and ENOTDIR as Linux does', () => {
    expect(h.syscall(t, SYS.openat, AT.FDCWD, h.cstr(t, '/missing'), O.RDONLY, 0)).toBe(-Errno.ENOENT);
    const f = h.cstr(t, '/f');
    const fd = h.syscall(t, SYS.openat, AT.FDCWD, f, O.CREAT | O.WRONLY, 0o600)!;
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(h.syscall(t, SYS.openat, AT.FDCWD, f, O.CREAT | O.EXCL | O.WRONLY, 0o600)).toBe(-Errno.EEXIST);
    expect(h.syscall(t, SYS.openat, AT.FDCWD, h.cstr(t, '/'), O.WRONLY, 0)).toBe(-Errno.EISDIR);
    expect(h.syscall(t, SYS.openat, AT.FDCWD, h.cstr(t, '/f/x'), O.RDONLY, 0)).toBe(-Errno.ENOTDIR);
  });

  it('preadv and pwritev on an O_PATH descriptor fail EBADF, even with nothing to move', () => {
    const f = h.cstr(t, '/p');
    h.syscall(t, SYS.close, h.syscall(t, SYS.openat, AT.FDCWD, f, O.CREAT | O.WRONLY, 0o600)!);
    const fd = h.syscall(t, SYS.openat, AT.FDCWD, f, O.PATH, 0)!;
    expect(fd).toBeGreaterThanOrEqual(0);
    const iov = h.alloc(t, 16);
    expect(h.syscall(t, SYS.preadv, fd, iov, 1, 0)).toBe(-Errno.EBADF);
    expect(h.syscall(t, SYS.pwritev, fd, iov, 1, 0)).toBe(-Errno.EBADF);
  });

  it('dup2 makes a second descriptor sharing the offset', () => {
    const fd = h.syscall(t, SYS.openat, AT.FDCWD, h.cstr(t, '/d'), O.CREAT | O.RDWR, 0o600)!;
    expect(h.syscall(t, SYS.dup2, fd, 10)).toBe(10);
    const data = bytes('abc');
    h.syscall(t, SYS.write, 10, h.alloc(t, 3, data), 3);
    expect(h.syscall(t, SYS.lseek, fd, 0, 1)).toBe(3);
  });
});

describe('pipes', () => {
  function pipe(flags = 0): [number, number] {
    const fds = h.alloc(t, 8);
    expect(h.syscall(t, SYS.pipe2, fds, flags)).toBe(0);
    const v = h.view(t, fds, 8);
    return [v.getInt32(0, true), v.getInt32(4, true)];
  }

  it('carries bytes from the write end to the read end in order', () => {
    const [r, w] = pipe();
    const data = bytes('first second');
    expect(h.syscall(t, SYS.write, w, h.alloc(t, data.length, data), data.length)).toBe(data.length);
    const buf = h.alloc(t, 6);
    expect(h.syscall(t, SYS.read, r, buf, 6)).toBe(6);
    expect(text(h.read(t, buf, 6))).toBe('first ');
    expect(h.syscall(t, SYS.write, r, buf, 1)).toBe(-Errno.EBADF);
  });

  it('an empty O_NONBLOCK pipe reads EAGAIN; with no writer left it reads end of file', () => {
    const [r, w] = pipe(O.NONBLOCK);
    const buf = h.alloc(t, 4);
    expect(h.syscall(t, SYS.read, r, buf, 4)).toBe(-Errno.EAGAIN);
    expect(h.syscall(t, SYS.close, w)).toBe(0);
    expect(h.syscall(t, SYS.read, r, buf, 4)).toBe(0);
  });

  it('a blocking read parks the reader until a write completes it', () => {
    const [r, w] = pipe();
    const writer = h.newThread(t);
    const buf = h.alloc(t, 4);
    expect(h.syscall(t, SYS.read, r, buf, 4)).toBeUndefined();
    const data = bytes('wake');
    expect(h.syscall(writer, SYS.write, w, h.alloc(t, 4, data), 4)).toBe(4);
    expect(h.kernel.blocked.has(t)).toBe(false);
    expect(t.regs.getSigned(REG.rax)).toBe(4);
    expect(text(h.read(t, buf, 4))).toBe('wake');
  });

  it('writing with no reader left fails EPIPE and raises SIGPIPE', () => {
    const [r, w] = pipe();
    expect(h.syscall(t, SYS.close, r)).toBe(0);
    t.blocked = sigbit(Signal.SIGPIPE); // keep it pending to look at
    expect(h.syscall(t, SYS.write, w, h.alloc(t, 1), 1)).toBe(-Errno.EPIPE);
    expect(t.group.signals.pending & sigbit(Signal.SIGPIPE)).toBe(sigbit(Signal.SIGPIPE));
  });
});
