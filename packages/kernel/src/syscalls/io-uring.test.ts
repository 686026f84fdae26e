// io_uring served in-process on the fake platform: the application's side of
// the rings is played through its own mappings of the io_uring fd.
import { AT, Errno, IORING_ENTER, IORING_OFF, IORING_OP, IORING_SETUP, IoUringCqe, IoUringParams, IoUringSqe, MAP, O, PROT, SYS } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../task.js';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('io-uring-syscalls-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
let t: Task;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  t = h.newProcess();
});

interface Ring {
  fd: number;
  params: IoUringParams;
  rings: number;
  sqes: number;
}

function setup(entries: number, flags = 0, cqEntries = 0): Ring | number {
  const raw = new Uint8Array(IoUringParams.size);
  const view = new DataView(raw.buffer);
  view.setUint32(4, cqEntries, true);
  view.setUint32(8, flags, true);
  const addr = h.alloc(t, raw.length, raw);
  const fd = h.syscall(t, SYS.io_uring_setup, entries, addr)!;
  if (fd < 0) return fd;
  const params = IoUringParams.decode(h.view(t, addr, IoUringParams.size), 0);
  const ringSize = params.sq_off.array + params.sq_entries * 4;
  const rings = h.syscall(t, SYS.mmap, 0, ringSize, PROT.READ | PROT.WRITE, MAP.SHARED, fd, IORING_OFF.SQ_RING)!;
  const sqes = h.syscall(t, SYS.mmap, 0, params.sq_entries * IoUringSqe.size, PROT.READ | PROT.WRITE, MAP.SHARED, fd, IORING_OFF.SQES)!;
  expect(rings).toBeGreaterThan(0);
  expect(sqes).toBeGreaterThan(0);
  return { fd, params, rings, sqes };
}

const u32 = (addr: number) => h.view(t, addr, 4).getUint32(0, true);
function setU32(addr: number, value: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  t.mm.copyOut(addr, b);
}

/** Queues one entry at the next tail slot, as liburing does. */
function queue(r: Ring, sqe: Partial<IoUringSqe>): void {
  const tail = u32(r.rings + r.params.sq_off.tail);
  const slot = tail & (r.params.sq_entries - 1);
  const raw = new Uint8Array(IoUringSqe.size);
  IoUringSqe.encode(new DataView(raw.buffer), 0, {
    opcode: IORING_OP.NOP,
    flags: 0,
    ioprio: 0,
    fd: -1,
    off: 0n,
    addr: 0n,
    len: 0,
    rw_flags: 0,
    user_data: 0n,
    buf_index: 0,
    personality: 0,
    splice_fd_in: 0,
    ...sqe,
  });
  t.mm.copyOut(r.sqes + slot * IoUringSqe.size, raw);
  setU32(r.rings + r.params.sq_off.array + slot * 4, slot);
  setU32(r.rings + r.params.sq_off.tail, tail + 1);
}

function cqe(r: Ring, index: number): IoUringCqe {
  return IoUringCqe.decode(h.view(t, r.rings + r.params.cq_off.cqes + (index & (r.params.cq_entries - 1)) * IoUringCqe.size, IoUringCqe.size), 0);
}

describe('io_uring_setup', () => {
  it('rounds the rings to powers of two and validates its parameters as Linux does', () => {
    const r = setup(3) as Ring;
    expect(r.params.sq_entries).toBe(4);
    expect(r.params.cq_entries).toBe(8);
    expect(r.params.sq_off.array % 64).toBe(0);
    expect(u32(r.rings + r.params.sq_off.ring_mask)).toBe(3);
    expect(u32(r.rings + r.params.cq_off.ring_entries)).toBe(8);
    expect(setup(0)).toBe(-Errno.EINVAL);
    expect(setup(1, IORING_SETUP.CQSIZE, 0)).toBe(-Errno.EINVAL);
    expect(setup(32, IORING_SETUP.CQSIZE, 16)).toBe(-Errno.EINVAL);
    expect(setup(1, IORING_SETUP.SQPOLL)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.mmap, 0, 4096, PROT.READ, MAP.SHARED, r.fd, 66)).toBe(-Errno.EINVAL);
  });
});

describe('io_uring_enter', () => {
  it('completes NOPs in order through the shared rings and advances the heads and tails', () => {
    const r = setup(4) as Ring;
    for (let i = 0; i < 3; i++) queue(r, { user_data: BigInt(42 + i) });
    expect(h.syscall(t, SYS.io_uring_enter, r.fd, 2, 2, IORING_ENTER.GETEVENTS, 0, 0)).toBe(2);
    expect(u32(r.rings + r.params.sq_off.head)).toBe(2);
    expect(u32(r.rings + r.params.cq_off.tail)).toBe(2);
    expect(h.syscall(t, SYS.io_uring_enter, r.fd, 2, 1, IORING_ENTER.GETEVENTS, 0, 0)).toBe(1);
    expect([0, 1, 2].map((i) => cqe(r, i))).toEqual([0, 1, 2].map((i) => ({ user_data: BigInt(42 + i), res: 0, flags: 0 })));
    queue(r, { opcode: 255, user_data: 7n });
    expect(h.syscall(t, SYS.io_uring_enter, r.fd, 1, 1, IORING_ENTER.GETEVENTS, 0, 0)).toBe(1);
    expect(cqe(r, 3)).toEqual({ user_data: 7n, res: -Errno.EINVAL, flags: 0 });
  });

  it('reads a file with READV, and reports a closed fd, a write-only fd and unsupported fields in the completion', () => {
    const r = setup(1) as Ring;
    const path = h.cstr(t, '/f');
    const wfd = h.syscall(t, SYS.openat, AT.FDCWD, path, O.CREAT | O.WRONLY, 0o644)!;
    const text = new TextEncoder().encode('DEADBEEF');
    h.syscall(t, SYS.write, wfd, h.alloc(t, text.length, text), text.length);
    const rfd = h.syscall(t, SYS.openat, AT.FDCWD, path, O.RDONLY, 0)!;
    const buf = h.alloc(t, 16);
    const iov = new Uint8Array(16);
    new DataView(iov.buffer).setBigUint64(0, BigInt(buf), true);
    new DataView(iov.buffer).setBigUint64(8, 16n, true);
    const iovAddr = BigInt(h.alloc(t, 16, iov));
    const results: number[] = [];
    for (const sqe of [{ fd: rfd }, { fd: 99 }, { fd: wfd }, { fd: rfd, ioprio: 1 }]) {
      queue(r, { opcode: IORING_OP.READV, addr: iovAddr, len: 1, ...sqe });
      expect(h.syscall(t, SYS.io_uring_enter, r.fd, 1, 1, IORING_ENTER.GETEVENTS, 0, 0)).toBe(1);
      const tail = u32(r.rings + r.params.cq_off.tail);
      results.push(cqe(r, tail - 1).res);
      setU32(r.rings + r.params.cq_off.head, tail);
    }
    expect(results).toEqual([8, -Errno.EBADF, -Errno.EBADF, -Errno.EINVAL]);
    expect(new TextDecoder().decode(h.read(t, buf, 8))).toBe('DEADBEEF');
  });

  it('survives a ring header the application scribbled over: bad indices are dropped, a full completion ring overflows', () => {
    const r = setup(4) as Ring;
    for (let i = 0; i < 4; i++) queue(r, {});
    setU32(r.rings + r.params.sq_off.array, 0xffffffff);
    expect(h.syscall(t, SYS.io_uring_enter, r.fd, 4, 0, 0, 0, 0)).toBe(4);
    expect(u32(r.rings + r.params.sq_off.dropped)).toBe(1);
    for (let i = 0; i < 8; i++) queue(r, {});
    expect(h.syscall(t, SYS.io_uring_enter, r.fd, 4, 0, 0, 0, 0)).toBe(4);
    expect(h.syscall(t, SYS.io_uring_enter, r.fd, 4, 0, 0, 0, 0)).toBe(4);
    // 3 + 8 completions for 8 slots: 3 overflowed, and the tail stopped at the ring's size.
    expect(u32(r.rings + r.params.cq_off.tail)).toBe(8);
    expect(u32(r.rings + r.params.cq_off.overflow)).toBe(3);
    const raw = new Uint8Array(r.params.sq_off.array + 16).fill(0xff);
    t.mm.copyOut(r.rings, raw);
    expect(h.syscall(t, SYS.io_uring_enter, r.fd, 1, 0, 0, 0, 0)).toBeGreaterThanOrEqual(0);
  });

  it('refuses a non-io_uring fd, unknown flags and a signal mask', () => {
    const r = setup(1) as Ring;
    expect(h.syscall(t, SYS.io_uring_enter, 99, 1, 0, 0, 0, 0)).toBe(-Errno.EBADF);
    const efd = h.syscall(t, SYS.eventfd2, 0, 0)!;
    expect(h.syscall(t, SYS.io_uring_enter, efd, 1, 0, 0, 0, 0)).toBe(-Errno.EOPNOTSUPP);
    expect(h.syscall(t, SYS.io_uring_enter, r.fd, 1, 0, 0x80, 0, 0)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.io_uring_enter, r.fd, 1, 1, IORING_ENTER.GETEVENTS, h.alloc(t, 8), 8)).toBe(-Errno.EFAULT);
  });

  it('parks GETEVENTS until another thread posts completions', () => {
    const r = setup(2) as Ring;
    expect(h.syscall(t, SYS.io_uring_enter, r.fd, 0, 1, IORING_ENTER.GETEVENTS, 0, 0)).toBeUndefined();
    const other = h.newThread(t);
    queue(r, { user_data: 5n });
    expect(h.syscall(other, SYS.io_uring_enter, r.fd, 1, 0, 0, 0, 0)).toBe(1);
    expect(h.kernel.blocked.has(t)).toBe(false);
    expect(cqe(r, 0).user_data).toBe(5n);
  });
});
