/**
 * CPUID on the host CPU, through koffi. The sentry needs CPUID leaf 0xD for
 * the XSAVE layout of signal frames: the offsets of the state components
 * differ between vendors (AMD packs AVX-512 right after AVX, Intel leaves
 * room for MPX), so no fixed table is right everywhere. Node cannot execute
 * CPUID itself, so a 30-byte x86-64 routine is placed in an executable page.
 */
import { MAP, PROT } from '@tvisor/abi';
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const mmap_ = libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)');
const mprotect_ = libc.func('int mprotect(void *addr, size_t len, int prot)');
const memcpy_ = libc.func('void *memcpy(void *dst, const uint8_t *src, size_t n)');

/** void cpuid(uint32_t leaf (edi), uint32_t subleaf (esi), uint32_t out[4] (rdx)) */
const ROUTINE = Uint8Array.from([
  0x53, //                   push rbx (callee-saved; CPUID writes it)
  0x49,
  0x89,
  0xd0, //       mov r8, rdx
  0x89,
  0xf8, //             mov eax, edi
  0x89,
  0xf1, //             mov ecx, esi
  0x0f,
  0xa2, //             cpuid
  0x41,
  0x89,
  0x00, //       mov [r8], eax
  0x41,
  0x89,
  0x58,
  0x04, // mov [r8+4], ebx
  0x41,
  0x89,
  0x48,
  0x08, // mov [r8+8], ecx
  0x41,
  0x89,
  0x50,
  0x0c, // mov [r8+12], edx
  0x5b, //                   pop rbx
  0xc3, //                   ret
]);
const CpuidProto = koffi.proto('void tvisor_cpuid(uint32_t leaf, uint32_t subleaf, _Out_ uint32_t *out)');
const PAGE = 4096;

let routine: unknown;
function load(): unknown {
  if (routine !== undefined) return routine;
  const page = mmap_(null, PAGE, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0);
  if (page === null || koffi.address(page) === 0xffffffffffffffffn) throw new Error(`cpuid: mmap failed (errno ${koffi.errno()})`);
  memcpy_(page, ROUTINE, ROUTINE.length);
  if ((mprotect_(page, PAGE, PROT.READ | PROT.EXEC) as number) !== 0) throw new Error(`cpuid: mprotect failed (errno ${koffi.errno()})`);
  routine = page;
  return routine;
}

/** The registers CPUID(leaf, subleaf) returns on the host CPU. */
export function hostCpuid(leaf: number, subleaf = 0): { eax: number; ebx: number; ecx: number; edx: number } {
  const out = new Uint32Array(4);
  koffi.call(load(), CpuidProto, leaf, subleaf, out);
  return { eax: out[0], ebx: out[1], ecx: out[2], edx: out[3] };
}
