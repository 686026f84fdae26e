// The only file in mm that calls the host through koffi. Each function is a
// thin wrapper over one libc call that turns a -1 return into a thrown Error
// naming the call and the host errno (these failures are sentry bugs or host
// resource exhaustion, never application errors).
import koffi from 'koffi';
import { MADV } from '@tvisor/abi';

const libc = koffi.load('libc.so.6');

const memfdCreate = libc.func('int memfd_create(const char *name, unsigned int flags)');
const ftruncateFn = libc.func('int ftruncate(int fd, int64_t length)');
const mmapFn = libc.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)');
const munmapFn = libc.func('int munmap(void *addr, size_t length)');
const fallocateFn = libc.func('int fallocate(int fd, int mode, int64_t offset, int64_t len)');
const lseekFn = libc.func('int64_t lseek(int fd, int64_t offset, int whence)');
const closeFn = libc.func('int close(int fd)');
const madviseFn = libc.func('int madvise(void *addr, size_t length, int advice)');

const MFD_CLOEXEC = 0x1;
const PROT_READ_WRITE = 0x3;
const MAP_SHARED = 0x01;
const MAP_NORESERVE = 0x4000;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;
const FALLOC_FL_KEEP_SIZE = 0x01;
const FALLOC_FL_PUNCH_HOLE = 0x02;
const SEEK_DATA = 3;
const SEEK_HOLE = 4;
const ENXIO = 6;

function fail(call: string): never {
  const errno = koffi.errno();
  throw new Error(`${call} failed: host errno ${errno}`);
}

/** memfd_create(name, MFD_CLOEXEC); returns the fd. */
export function createMemfd(name: string): number {
  const fd = memfdCreate(name, MFD_CLOEXEC) as number;
  if (fd < 0) fail('memfd_create');
  return fd;
}

/** ftruncate(fd, length). */
export function truncate(fd: number, length: number): void {
  if ((ftruncateFn(fd, length) as number) < 0) fail('ftruncate');
}

/** A sentry mapping of a file range, and the bytes it shows. */
export interface HostMapping {
  readonly address: bigint;
  readonly bytes: Uint8Array;
}

/**
 * mmap(NULL, length, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_NORESERVE, fd,
 * offset) and a zero-copy view of it. `length` must be at most 4 GiB (the
 * largest external buffer koffi.view makes).
 */
export function mapShared(fd: number, offset: number, length: number): HostMapping {
  const ptr: unknown = mmapFn(null, length, PROT_READ_WRITE, MAP_SHARED | MAP_NORESERVE, fd, offset);
  const address = koffi.address(ptr);
  if (address === MAP_FAILED) fail('mmap');
  return { address, bytes: new Uint8Array(koffi.view(ptr, length)) };
}

/**
 * madvise(MADV_DONTNEED) over [offset, offset+length) of a mapShared
 * mapping: the sentry's page-table entries go, the file's pages stay (it is
 * a shared file mapping), and the next access faults them back in.
 */
export function dropMappedPages(mapping: HostMapping, offset: number, length: number): void {
  const ptr = koffi.as(mapping.address + BigInt(offset), 'void *');
  if ((madviseFn(ptr, length, MADV.DONTNEED) as number) < 0) fail('madvise');
}

/** munmap of a mapping made by mapShared. */
export function unmapShared(mapping: HostMapping): void {
  const ptr = koffi.as(mapping.address, 'void *');
  if ((munmapFn(ptr, mapping.bytes.byteLength) as number) < 0) fail('munmap');
}

/** fallocate(PUNCH_HOLE|KEEP_SIZE): frees the pages, the range reads as zeros. */
export function punchHole(fd: number, offset: number, length: number): void {
  if ((fallocateFn(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) as number) < 0) {
    fail('fallocate');
  }
}

/**
 * lseek(SEEK_DATA) from `offset`: the start of the next populated range at or
 * after offset, or -1 when the rest of the file is a hole.
 */
export function seekData(fd: number, offset: number): number {
  const r = Number(lseekFn(fd, offset, SEEK_DATA));
  if (r < 0) {
    if (koffi.errno() === ENXIO) return -1;
    fail('lseek(SEEK_DATA)');
  }
  return r;
}

/** lseek(SEEK_HOLE) from `offset`: the start of the next hole (EOF counts). */
export function seekHole(fd: number, offset: number): number {
  const r = Number(lseekFn(fd, offset, SEEK_HOLE));
  if (r < 0) fail('lseek(SEEK_HOLE)');
  return r;
}

/** close(fd). */
export function closeFd(fd: number): void {
  if ((closeFn(fd) as number) < 0) fail('close');
}
