// Linux AIO (io_setup, io_submit, io_getevents, io_destroy) served in-process
// on the fake platform, with the behaviours gVisor's aio_test checks.
import { AT, Errno, IOCB_CMD, IOCB_FLAG, Iocb, IoEvent, MAP, MREMAP, O, PROT, SYS } from '@tvisor/abi';
import { MemoryFile, PAGE_SIZE } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../task.js';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('aio-syscalls-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
let t: Task;
let fd: number;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  t = h.newProcess();
  fd = h.syscall(t, SYS.openat, AT.FDCWD, h.cstr(t, '/data'), O.CREAT | O.RDWR, 0o600)!;
});

const bytes = (s: string) => new TextEncoder().encode(s);

function setup(nr = 128): number {
  const ctxp = h.alloc(t, 8);
  expect(h.syscall(t, SYS.io_setup, nr, ctxp)).toBe(0);
  return Number(h.view(t, ctxp, 8).getBigUint64(0, true));
}

function iocb(fields: Partial<Iocb>): number {
  const value: Iocb = {
    aio_data: 0x123n,
    aio_key: 7,
    aio_rw_flags: 0,
    aio_lio_opcode: IOCB_CMD.PWRITE,
    aio_reqprio: 0,
    aio_fildes: fd,
    aio_buf: 0n,
    aio_nbytes: 0n,
    aio_offset: 0n,
    aio_reserved2: 0n,
    aio_flags: 0,
    aio_resfd: 0,
    ...fields,
  };
  const raw = new Uint8Array(Iocb.size);
  Iocb.encode(new DataView(raw.buffer), 0, value);
  return h.alloc(t, raw.length, raw);
}

function pointers(...addrs: number[]): number {
  const raw = new Uint8Array(addrs.length * 8);
  addrs.forEach((a, i) => new DataView(raw.buffer).setBigUint64(i * 8, BigInt(a), true));
  return h.alloc(t, raw.length, raw);
}

function getevents(ctx: number, min: number, max: number, timeout?: bigint, task = t): { result: number | undefined; events: () => IoEvent[] } {
  const out = h.alloc(task, max * IoEvent.size);
  let ts = 0;
  if (timeout !== undefined) {
    const raw = new Uint8Array(16);
    new DataView(raw.buffer).setBigInt64(8, timeout, true);
    ts = h.alloc(task, 16, raw);
  }
  const result = h.syscall(task, SYS.io_getevents, ctx, min, max, out, ts);
  return {
    result,
    events: () => Array.from({ length: max }, (_, i) => IoEvent.decode(h.view(task, out + i * IoEvent.size, IoEvent.size), 0)),
  };
}

describe('io_setup / io_submit / io_getevents', () => {
  it('writes and reads a file, returning each request as an event with its data, iocb address and result', () => {
    const ctx = setup();
    expect(t.mm.vmaAt(ctx)?.file?.mapsName).toBe('/[aio] (deleted)');
    const text = bytes('hello world!');
    const write = iocb({ aio_buf: BigInt(h.alloc(t, text.length, text)), aio_nbytes: BigInt(text.length) });
    expect(h.syscall(t, SYS.io_submit, ctx, 1, pointers(write))).toBe(1);
    // The kernel stamps aio_key (KIOCB_KEY, 0) back into the request.
    expect(h.view(t, write + 8, 4).getUint32(0, true)).toBe(0);
    const buf = h.alloc(t, 16);
    const read = iocb({ aio_lio_opcode: IOCB_CMD.PREAD, aio_data: 0x456n, aio_buf: BigInt(buf), aio_nbytes: 5n, aio_offset: 6n });
    expect(h.syscall(t, SYS.io_submit, ctx, 1, pointers(read))).toBe(1);
    const got = getevents(ctx, 2, 4);
    expect(got.result).toBe(2);
    expect(got.events().slice(0, 2)).toEqual([
      { data: 0x123n, obj: BigInt(write), res: 12n, res2: 0n },
      { data: 0x456n, obj: BigInt(read), res: 5n, res2: 0n },
    ]);
    expect(new TextDecoder().decode(h.read(t, buf, 5))).toBe('world');
    expect(h.syscall(t, SYS.io_destroy, ctx)).toBe(0);
    expect(t.mm.vmaAt(ctx)).toBeUndefined();
    expect(h.syscall(t, SYS.io_destroy, ctx)).toBe(-Errno.EINVAL);
  });

  it('refuses bad arguments as Linux does', () => {
    const ctxp = h.alloc(t, 8);
    expect(h.syscall(t, SYS.io_setup, 0, ctxp)).toBe(-Errno.EINVAL);
    t.mm.copyOut(ctxp, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]));
    expect(h.syscall(t, SYS.io_setup, 8, ctxp)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.io_setup, 8, 0)).toBe(-Errno.EFAULT);
    const ctx = setup();
    expect(h.syscall(t, SYS.io_submit, ctx + PAGE_SIZE, 1, pointers(iocb({})))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.io_submit, ctx, -1, pointers(iocb({})))).toBe(-Errno.EINVAL);
    const buf = BigInt(h.alloc(t, 8));
    // A negative offset fails the submission itself, for every read and write opcode.
    for (const op of [IOCB_CMD.PREAD, IOCB_CMD.PWRITE]) {
      expect(h.syscall(t, SYS.io_submit, ctx, 1, pointers(iocb({ aio_lio_opcode: op, aio_buf: buf, aio_nbytes: 1n, aio_offset: -1n })))).toBe(-Errno.EINVAL);
    }
    // An iovec pointing into the kernel's half of the address space: EFAULT at submission.
    const iov = new Uint8Array(16);
    new DataView(iov.buffer).setBigUint64(0, 0xffff_ffff_0000_0000n, true);
    new DataView(iov.buffer).setBigUint64(8, 1n, true);
    const vec = BigInt(h.alloc(t, 16, iov));
    for (const op of [IOCB_CMD.PREADV, IOCB_CMD.PWRITEV]) {
      expect(h.syscall(t, SYS.io_submit, ctx, 1, pointers(iocb({ aio_lio_opcode: op, aio_buf: vec, aio_nbytes: 1n })))).toBe(-Errno.EFAULT);
    }
    expect(h.syscall(t, SYS.io_submit, ctx, 1, pointers(iocb({ aio_reserved2: 1n })))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.io_submit, ctx, 1, pointers(iocb({ aio_lio_opcode: IOCB_CMD.NOOP })))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.io_submit, ctx, 1, pointers(iocb({ aio_fildes: 99 })))).toBe(-Errno.EBADF);
    // The first good request counts; the bad one after it ends the batch without an error.
    expect(h.syscall(t, SYS.io_submit, ctx, 2, pointers(iocb({}), iocb({ aio_fildes: 99 })))).toBe(1);
    expect(getevents(ctx, 0, 4, 0n).result).toBe(1);
    expect(getevents(ctx, 2, 1).result).toBe(-Errno.EINVAL);
  });

  it('signals the eventfd named by IOCB_FLAG_RESFD on completion', () => {
    const ctx = setup();
    const efd = h.syscall(t, SYS.eventfd2, 0, 0)!;
    expect(h.syscall(t, SYS.io_submit, ctx, 1, pointers(iocb({ aio_flags: IOCB_FLAG.RESFD, aio_resfd: efd })))).toBe(1);
    const counter = h.alloc(t, 8);
    expect(h.syscall(t, SYS.read, efd, counter, 8)).toBe(8);
    expect(h.view(t, counter, 8).getBigUint64(0, true)).toBe(1n);
    expect(h.syscall(t, SYS.io_submit, ctx, 1, pointers(iocb({ aio_flags: IOCB_FLAG.RESFD, aio_resfd: fd })))).toBe(-Errno.EINVAL);
  });

  it('parks io_getevents until another thread submits, and a zero timeout returns at once', () => {
    const ctx = setup();
    expect(getevents(ctx, 1, 1, 0n).result).toBe(0);
    const waiting = getevents(ctx, 1, 1);
    expect(waiting.result).toBeUndefined();
    const other = h.newThread(t);
    expect(h.syscall(other, SYS.io_submit, ctx, 1, pointers(iocb({ aio_data: 9n })))).toBe(1);
    expect(h.kernel.blocked.has(t)).toBe(false);
    expect(waiting.events()[0]!.data).toBe(9n);
  });

  it('follows its ring when mremap moves it, refuses to grow it, and is unreachable behind PROT_NONE', () => {
    const ctx = setup();
    const size = t.mm.vmaAt(ctx)!.end - ctx;
    const dst = h.syscall(t, SYS.mmap, 0, size, PROT.READ, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)!;
    expect(h.syscall(t, SYS.mremap, ctx, size, size, MREMAP.MAYMOVE | MREMAP.FIXED, dst)).toBe(dst);
    expect(h.syscall(t, SYS.io_submit, ctx, 1, pointers(iocb({})))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.io_submit, dst, 1, pointers(iocb({})))).toBe(1);
    const bigger = h.syscall(t, SYS.mmap, 0, size + PAGE_SIZE, PROT.NONE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)!;
    expect(h.syscall(t, SYS.mremap, dst, size, size + PAGE_SIZE, MREMAP.MAYMOVE | MREMAP.FIXED, bigger)).toBe(-Errno.EFAULT);
    expect(h.syscall(t, SYS.mprotect, dst, PAGE_SIZE, PROT.NONE)).toBe(0);
    expect(getevents(dst, 1, 1).result).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.io_destroy, dst)).toBe(-Errno.EINVAL);
  });
});
