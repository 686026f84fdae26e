// File seals on tmpfs regular files (what memfd_create(MFD_ALLOW_SEALING)
// gives): F_ADD_SEALS rules and what each seal refuses, as Linux's
// memfd_add_seals and shmem_write_begin/shmem_setattr/shmem_fallocate.
import { Errno, F, FALLOC_FL, O } from '@tvisor/abi';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROOT_CREDENTIALS, TmpfsFilesystem, TmpfsRegularFile, VirtualFilesystem, type FileDescription } from '../src/index.js';

const P = 4096;

function open(): FileDescription {
  const vfs = new VirtualFilesystem(new TmpfsFilesystem({ mode: 0o755 }));
  const ctx = { ...vfs.context(ROOT_CREDENTIALS), umask: 0o022 };
  return vfs.openAt(ctx, '/f', { flags: O.CREAT | O.RDWR, mode: 0o644 });
}

function regularOf(fd: FileDescription) {
  if (!(fd.impl instanceof TmpfsRegularFile)) throw new Error('not a tmpfs regular file');
  return fd.impl.regular;
}

function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    const errno = (e as { errno?: number }).errno;
    if (errno === undefined) throw e;
    return errno;
  }
  return 0;
}

describe('tmpfs file seals', () => {
  it('a plain tmpfs file has F_SEAL_SEAL and cannot be sealed further', () => {
    const fd = open();
    const reg = regularOf(fd);
    expect(reg.seals).toBe(F.SEAL_SEAL);
    expect(errnoOf(() => reg.addSeals(F.SEAL_WRITE))).toBe(Errno.EPERM);
    fd.decRef();
  });

  it('adds seals, refuses unknown bits, and refuses F_SEAL_WRITE (and the rest of the call) while writable mappings exist', () => {
    const fd = open();
    const reg = regularOf(fd);
    reg.seals = 0;
    expect(errnoOf(() => reg.addSeals(0x1000))).toBe(Errno.EINVAL);
    reg.writableMappings = 1;
    expect(errnoOf(() => reg.addSeals(F.SEAL_WRITE | F.SEAL_GROW))).toBe(Errno.EBUSY);
    expect(reg.seals).toBe(0);
    reg.addSeals(F.SEAL_GROW);
    reg.writableMappings = 0;
    reg.addSeals(F.SEAL_WRITE);
    reg.addSeals(F.SEAL_WRITE);
    expect(reg.seals).toBe(F.SEAL_GROW | F.SEAL_WRITE);
    reg.addSeals(F.SEAL_SEAL);
    expect(errnoOf(() => reg.addSeals(F.SEAL_SHRINK))).toBe(Errno.EPERM);
    fd.decRef();
  });

  it('F_SEAL_WRITE refuses writes and hole punching; zero-length writes still succeed', () => {
    const fd = open();
    const reg = regularOf(fd);
    reg.seals = 0;
    fd.write(new Uint8Array(P), 0);
    reg.addSeals(F.SEAL_WRITE);
    expect(errnoOf(() => fd.write(new Uint8Array(1), 0))).toBe(Errno.EPERM);
    expect(errnoOf(() => fd.write(new Uint8Array(1), P))).toBe(Errno.EPERM);
    expect(fd.write(new Uint8Array(0), 0)).toBe(0);
    expect(errnoOf(() => fd.allocate(FALLOC_FL.PUNCH_HOLE | FALLOC_FL.KEEP_SIZE, 0, P))).toBe(Errno.EPERM);
    fd.decRef();
  });

  it('F_SEAL_GROW and F_SEAL_SHRINK refuse only the size changes they name', () => {
    const fd = open();
    const reg = regularOf(fd);
    reg.seals = 0;
    fd.truncate(P);
    reg.addSeals(F.SEAL_GROW);
    // A write that fills the rest of the end's page first writes that (Linux
    // before 6.12); one that starts at the end is refused.
    expect(fd.write(new Uint8Array(P), (3 * P) / 4)).toBe(P / 4);
    expect(errnoOf(() => fd.write(new Uint8Array(2), P))).toBe(Errno.EPERM);
    expect(errnoOf(() => fd.truncate(2 * P))).toBe(Errno.EPERM);
    fd.truncate(P);
    fd.truncate(P / 2);
    expect(errnoOf(() => fd.truncate(P))).toBe(Errno.EPERM);
    expect(errnoOf(() => fd.allocate(0, 0, 2 * P))).toBe(Errno.EPERM);
    fd.allocate(FALLOC_FL.KEEP_SIZE, 0, 2 * P);
    reg.addSeals(F.SEAL_SHRINK);
    expect(errnoOf(() => fd.truncate(P / 4))).toBe(Errno.EPERM);
    fd.decRef();
  });

  it('under F_SEAL_GROW a write stops at the first page-sized step that would pass the end (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 * P }), fc.integer({ min: 0, max: 3 * P }), fc.integer({ min: 1, max: 2 * P }), (size, offset, len) => {
        const fd = open();
        const reg = regularOf(fd);
        reg.seals = 0;
        fd.truncate(size);
        reg.addSeals(F.SEAL_GROW);
        // The model: page-bounded steps, each must end within the file.
        let pos = offset;
        while (pos < offset + len) {
          const stepEnd = Math.min(offset + len, (Math.floor(pos / P) + 1) * P);
          if (stepEnd > size) break;
          pos = stepEnd;
        }
        const expected = pos - offset;
        const result = errnoOf(() => {
          const n = fd.write(new Uint8Array(len).fill(7), offset);
          expect(n).toBe(expected);
        });
        expect(result).toBe(expected === 0 ? Errno.EPERM : 0);
        expect(fd.stat().size).toBe(size);
        fd.decRef();
      }),
      { numRuns: 200 },
    );
  });
});
