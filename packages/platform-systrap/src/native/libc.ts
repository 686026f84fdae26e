/**
 * The libc calls only the systrap platform makes, through koffi (the ones
 * both stub platforms make are @tvisor/platform-stub's). Nothing outside
 * src/native/ touches pointers; callers get numbers and typed arrays.
 *
 * Pointers are koffi's bigint addresses. Integer arguments that may carry
 * either a value or an address are declared `uintptr_t`.
 */
import koffi from 'koffi';
import { SYS } from '@tvisor/abi';
import { errno } from '@tvisor/platform-stub';

const SYS_FUTEX = SYS.futex;

const libc = koffi.load('libc.so.6');

const mmap_ = libc.func('void *mmap(uintptr_t addr, size_t length, int prot, int flags, int fd, int64_t offset)');
const munmap_ = libc.func('int munmap(void *addr, size_t length)');
// futex(2) through syscall(2): glibc has no wrapper. Declared with fixed
// integer arguments, which is how the x86-64 ABI passes syscall's varargs.
const futex_ = libc.func('long syscall(long nr, uintptr_t uaddr, int op, uint32_t val, uintptr_t timeout, uintptr_t uaddr2, uint32_t val3)');

/** A MAP_SHARED read-write view of [offset, offset+length) of `fd` in the sentry, with its address (for futexes). */
export interface SharedMapping {
  readonly address: bigint;
  readonly bytes: ArrayBuffer;
  unmap(): void;
}

export function mapShared(fd: number, offset: number, length: number, prot: number, flags: number): SharedMapping {
  const ptr: unknown = mmap_(0, length, prot, flags, fd, offset);
  const address = koffi.address(ptr) as bigint;
  if (address === 0xffff_ffff_ffff_ffffn) throw new Error(`mmap of the memory file failed: host errno ${errno()}`);
  return {
    address,
    bytes: koffi.view(ptr, length) as ArrayBuffer,
    unmap: () => munmap_(ptr, length),
  };
}

/** futex(uaddr, op, val, timeout, uaddr2, val3); returns the raw result (-1 with errno() on failure). */
export function futex(uaddr: bigint, op: number, val: number, timeout: bigint = 0n): number {
  return Number(futex_(SYS_FUTEX, uaddr, op, val >>> 0, timeout, 0, 0));
}

/**
 * The same futex call on one of koffi's worker threads, so the event loop
 * goes on meanwhile; resolves with the raw result.
 */
export function futexAsync(uaddr: bigint, op: number, val: number, timeout: bigint): Promise<number> {
  return new Promise((resolve, reject) => {
    (futex_ as unknown as { async: (...a: unknown[]) => void }).async(SYS_FUTEX, uaddr, op, val >>> 0, timeout, 0, 0, (err: unknown, res: unknown) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(Number(res)),
    );
  });
}
