/**
 * The host CPU's time-stamp counter, through koffi: the sentry's clocks are
 * computed from it with the same parameters the vDSO uses (see clock.ts), so
 * a time an application reads without trapping and one the sentry serves
 * agree. Node cannot execute RDTSC itself, so a 16-byte x86-64 routine is
 * placed in an executable page.
 */
import { MAP, PROT } from '@tvisor/abi';
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const mmap_ = libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)');
const mprotect_ = libc.func('int mprotect(void *addr, size_t len, int prot)');
const memcpy_ = libc.func('void *memcpy(void *dst, const uint8_t *src, size_t n)');

/** uint64_t tsc(void) */
const ROUTINE = Uint8Array.from([
  // mfence: an earlier store (the vvar seqcount going odd) is visible before the counter is read.
  0x0f,
  0xae,
  0xf0,
  // lfence: and every earlier load has completed (rdtsc alone is not ordered).
  0x0f,
  0xae,
  0xe8,
  0x0f,
  0x31, //             rdtsc
  0x48,
  0xc1,
  0xe2,
  0x20, // shl rdx, 32
  0x48,
  0x09,
  0xd0, //       or rax, rdx
  0xc3, //                   ret
]);
const TscProto = koffi.proto('uint64_t tvisor_tsc(void)');
const PAGE = 4096;

let routine: (() => number | bigint) | undefined;
function load(): () => number | bigint {
  if (routine !== undefined) return routine;
  const page = mmap_(null, PAGE, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0);
  if (page === null || koffi.address(page) === 0xffffffffffffffffn) throw new Error(`tsc: mmap failed (errno ${koffi.errno()})`);
  memcpy_(page, ROUTINE, ROUTINE.length);
  if ((mprotect_(page, PAGE, PROT.READ | PROT.EXEC) as number) !== 0) throw new Error(`tsc: mprotect failed (errno ${koffi.errno()})`);
  // A function bound to the page once: about half the cost of koffi.call per read.
  routine = koffi.decode(page, TscProto) as () => number | bigint;
  return routine;
}

/** The host's TSC, read after every earlier load and store of this thread. */
export function readTsc(): bigint {
  // koffi gives a number while the value is a safe integer, a bigint past it.
  return BigInt(load()());
}
