// The file family (open/read/write/lseek/close, pipes) served in-process on
// the fake platform: real results and errnos, no ptrace.
import { AT, Errno, FALLOC_FL, MAP, O, PAGE_SIZE, PROT, RLIMIT, RWF, SI, SYS, Signal } from '@tvisor/abi';
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

  it('writing with no reader left fails EPIPE and raises SIGPIPE, as SI_USER from the writer (send_sig)', () => {
    const [r, w] = pipe();
    expect(h.syscall(t, SYS.close, r)).toBe(0);
    t.blocked = sigbit(Signal.SIGPIPE); // keep it pending to look at
    expect(h.syscall(t, SYS.write, w, h.alloc(t, 1), 1)).toBe(-Errno.EPIPE);
    expect(t.group.signals.pending & sigbit(Signal.SIGPIPE)).toBe(sigbit(Signal.SIGPIPE));
    const info = new DataView(t.group.signals.dequeue(Signal.SIGPIPE)!.buffer);
    expect(info.getInt32(8, true)).toBe(SI.USER); // si_code
    expect(info.getInt32(16, true)).toBe(t.group.pid); // si_pid
  });
});

describe('file edge cases Linux defines', () => {
  const open = (path: string, flags: number) => h.syscall(t, SYS.openat, AT.FDCWD, h.cstr(t, path), flags, 0o644)!;

  it('getdents64 fills only the writable start of a buffer that runs into a PROT_NONE page, and refuses O_PATH fds and counts past INT_MAX', () => {
    for (let i = 0; i < 20; i++) h.syscall(t, SYS.mkdirat, AT.FDCWD, h.cstr(t, `/entry-with-a-long-name-${i}`), 0o755);
    const dir = open('/', O.RDONLY | O.DIRECTORY);
    const region = h.syscall(t, SYS.mmap, 0, 2 * PAGE_SIZE, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)!;
    expect(h.syscall(t, SYS.mprotect, region + PAGE_SIZE, PAGE_SIZE, PROT.NONE)).toBe(0);
    const buf = region + PAGE_SIZE - 256;
    let total = 0;
    for (;;) {
      const n = h.syscall(t, SYS.getdents64, dir, buf, PAGE_SIZE)!; // claims a page, 256 bytes are writable
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThanOrEqual(256);
      if (n === 0) break;
      total += n;
    }
    expect(total).toBeGreaterThan(20 * 40); // all 22 entries came, 256 bytes at a time
    expect(h.syscall(t, SYS.lseek, dir, 0, 0)).toBe(0);
    expect(h.syscall(t, SYS.getdents64, dir, region + 2 * PAGE_SIZE - 8, PAGE_SIZE)).toBe(-Errno.EFAULT);
    expect(h.syscall(t, SYS.getdents64, open('/', O.PATH), region, 256)).toBe(-Errno.EBADF);
    expect(h.syscall(t, SYS.getdents64, dir, region, 0x80000000)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.getdents64, dir, region, 8)).toBe(-Errno.EINVAL);
  });

  it('pwrite64 whose end would pass 2^63 - 1 is EINVAL; preadv2 and pwritev2 with unknown RWF_ flags are EOPNOTSUPP', () => {
    const fd = open('/f', O.CREAT | O.RDWR);
    const data = h.alloc(t, 8192);
    const nearMax = 2 ** 63 - 4096; // exact as a double
    expect(h.syscall(t, SYS.pwrite64, fd, data, 8192, nearMax)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.pread64, fd, data, 8192, nearMax)).toBe(-Errno.EINVAL);
    const iov = h.alloc(t, 16);
    expect(h.syscall(t, SYS.pwritev2, fd, iov, 0, 0, 0, 0x80)).toBe(-Errno.EOPNOTSUPP);
    expect(h.syscall(t, SYS.preadv2, fd, iov, 0, 0, 0, 0xf0)).toBe(-Errno.EOPNOTSUPP);
    expect(h.syscall(t, SYS.preadv2, fd, iov, 0, 0, 0, RWF.HIPRI | RWF.NOWAIT)).toBe(0);
  });

  it('ftruncate, truncate and fallocate past RLIMIT_FSIZE fail EFBIG and raise SIGXFSZ; shrinking is allowed', () => {
    const fd = open('/big', O.CREAT | O.RDWR);
    expect(h.syscall(t, SYS.ftruncate, fd, 4096)).toBe(0);
    const limit = new Uint8Array(16);
    new DataView(limit.buffer).setBigUint64(0, 1024n, true);
    new DataView(limit.buffer).setBigUint64(8, 1024n, true);
    expect(h.syscall(t, SYS.setrlimit, RLIMIT.FSIZE, h.alloc(t, 16, limit))).toBe(0);
    t.blocked = sigbit(Signal.SIGXFSZ); // keep it pending to look at
    expect(h.syscall(t, SYS.ftruncate, fd, 512)).toBe(0);
    expect(t.group.signals.pending & sigbit(Signal.SIGXFSZ)).toBe(0n);
    expect(h.syscall(t, SYS.ftruncate, fd, 1025)).toBe(-Errno.EFBIG);
    expect(h.syscall(t, SYS.truncate, h.cstr(t, '/big'), 2048)).toBe(-Errno.EFBIG);
    expect(h.syscall(t, SYS.fallocate, fd, 0, 0, 1025)).toBe(-Errno.EFBIG);
    expect(h.syscall(t, SYS.fallocate, fd, FALLOC_FL.KEEP_SIZE, 0, 1025)).toBe(0);
    expect(t.group.signals.pending & sigbit(Signal.SIGXFSZ)).toBe(sigbit(Signal.SIGXFSZ));
    expect(h.syscall(t, SYS.ftruncate, fd, 1024)).toBe(0);
  });
});
