// The path family (mkdir, rename, unlink, symlink, rmdir) served in-process
// on the fake platform over a tmpfs root.
import { AT, Errno, O, SYS, UTIME } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../task.js';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('path-syscalls-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
let t: Task;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  t = h.newProcess();
});

const at = (nr: number, ...args: Array<number | string>) => h.syscall(t, nr, ...args.map((a) => (typeof a === 'string' ? h.cstr(t, a) : a)));

describe('path operations on tmpfs', () => {
  it('mkdirat, then EEXIST; a file inside it; rmdir of a non-empty directory is ENOTEMPTY', () => {
    expect(at(SYS.mkdirat, AT.FDCWD, '/d', 0o755)).toBe(0);
    expect(at(SYS.mkdirat, AT.FDCWD, '/d', 0o755)).toBe(-Errno.EEXIST);
    expect(at(SYS.mkdirat, AT.FDCWD, '/nope/d', 0o755)).toBe(-Errno.ENOENT);
    expect(at(SYS.openat, AT.FDCWD, '/d/f', O.CREAT | O.WRONLY, 0o644)).toBeGreaterThanOrEqual(0);
    expect(at(SYS.rmdir, '/d')).toBe(-Errno.ENOTEMPTY);
    expect(at(SYS.unlinkat, AT.FDCWD, '/d', 0)).toBe(-Errno.EISDIR);
    expect(at(SYS.unlinkat, AT.FDCWD, '/d/f', AT.REMOVEDIR)).toBe(-Errno.ENOTDIR);
    expect(at(SYS.unlinkat, AT.FDCWD, '/d/f', 0)).toBe(0);
    expect(at(SYS.unlinkat, AT.FDCWD, '/d', AT.REMOVEDIR)).toBe(0);
    expect(at(SYS.faccessat, AT.FDCWD, '/d', 0)).toBe(-Errno.ENOENT);
  });

  it('renameat moves a file; the old name is gone; a directory over a file is ENOTDIR', () => {
    at(SYS.openat, AT.FDCWD, '/a', O.CREAT | O.WRONLY, 0o644);
    at(SYS.mkdirat, AT.FDCWD, '/dir', 0o755);
    expect(at(SYS.renameat, AT.FDCWD, '/a', AT.FDCWD, '/dir/b')).toBe(0);
    expect(at(SYS.faccessat, AT.FDCWD, '/a', 0)).toBe(-Errno.ENOENT);
    expect(at(SYS.faccessat, AT.FDCWD, '/dir/b', 0)).toBe(0);
    expect(at(SYS.renameat, AT.FDCWD, '/dir', AT.FDCWD, '/dir/b')).toBe(-Errno.EINVAL);
    at(SYS.mkdirat, AT.FDCWD, '/other', 0o755);
    expect(at(SYS.renameat, AT.FDCWD, '/other', AT.FDCWD, '/dir/b')).toBe(-Errno.ENOTDIR);
  });

  it('symlinkat and readlinkat round-trip the target; following a dangling link is ENOENT', () => {
    expect(at(SYS.symlinkat, '/target/file', AT.FDCWD, '/link')).toBe(0);
    const buf = h.alloc(t, 64);
    expect(at(SYS.readlinkat, AT.FDCWD, '/link', buf, 64)).toBe('/target/file'.length);
    expect(new TextDecoder().decode(h.read(t, buf, 12))).toBe('/target/file');
    expect(at(SYS.openat, AT.FDCWD, '/link', O.RDONLY, 0)).toBe(-Errno.ENOENT);
    expect(at(SYS.readlinkat, AT.FDCWD, '/', buf, 64)).toBe(-Errno.EINVAL);
  });

  it('umask applies to the mode of new files', () => {
    expect(h.syscall(t, SYS.umask, 0o077)).toBe(0o022);
    const fd = at(SYS.openat, AT.FDCWD, '/m', O.CREAT | O.WRONLY, 0o666)!;
    const st = h.alloc(t, 144);
    expect(h.syscall(t, SYS.fstat, fd, st)).toBe(0);
    expect(h.view(t, st, 144).getUint32(24, true) & 0o777).toBe(0o600); // st_mode
  });

  it('chdir and fchdir need search permission on the target: a 0666 directory is EACCES for a user without DAC capabilities', () => {
    expect(at(SYS.mkdirat, AT.FDCWD, '/noexec', 0o777)).toBe(0);
    expect(at(SYS.fchmodat, AT.FDCWD, '/noexec', 0o666)).toBe(0);
    const dirFd = at(SYS.openat, AT.FDCWD, '/noexec', O.RDONLY | O.DIRECTORY, 0)!;
    expect(at(SYS.chdir, '/noexec')).toBe(0); // root overrides the mode
    expect(at(SYS.chdir, '/')).toBe(0);
    expect(h.syscall(t, SYS.setuid, 1000)).toBe(0);
    expect(at(SYS.chdir, '/noexec')).toBe(-Errno.EACCES);
    expect(h.syscall(t, SYS.fchdir, dirFd)).toBe(-Errno.EACCES);
    expect(at(SYS.chdir, '/noexec/x')).toBe(-Errno.EACCES);
  });

  it('fchmod, fchown and flock on an O_PATH descriptor are EBADF; fstat on it works', () => {
    at(SYS.openat, AT.FDCWD, '/p', O.CREAT | O.WRONLY, 0o644);
    const fd = at(SYS.openat, AT.FDCWD, '/p', O.PATH, 0)!;
    expect(h.syscall(t, SYS.fchmod, fd, 0o444)).toBe(-Errno.EBADF);
    expect(h.syscall(t, SYS.fchown, fd, 1, 1)).toBe(-Errno.EBADF);
    expect(h.syscall(t, SYS.flock, fd, 2)).toBe(-Errno.EBADF);
    expect(h.syscall(t, SYS.fstat, fd, h.alloc(t, 144))).toBe(0);
  });

  it('an empty path is ENOENT before a bad dirfd is noticed, unless AT_EMPTY_PATH asks for the dirfd', () => {
    expect(at(SYS.fchmodat, -1, '', 0o444)).toBe(-Errno.ENOENT);
    expect(at(SYS.mkdirat, -1, '', 0o755)).toBe(-Errno.ENOENT);
    expect(at(SYS.fchownat, -1, '', 0, 0, 0)).toBe(-Errno.ENOENT);
    expect(at(SYS.fchownat, -1, '', 0, 0, AT.EMPTY_PATH)).toBe(-Errno.EBADF);
    expect(at(SYS.fchmodat, -1, 'rel', 0o444)).toBe(-Errno.EBADF);
  });

  it('O_TRUNC on a directory is EISDIR and O_DIRECT EINVAL; access mode 3 opens a file for neither reading nor writing', () => {
    at(SYS.mkdirat, AT.FDCWD, '/dt', 0o755);
    expect(at(SYS.openat, AT.FDCWD, '/dt', O.RDONLY | O.TRUNC, 0)).toBe(-Errno.EISDIR);
    at(SYS.openat, AT.FDCWD, '/f3', O.CREAT | O.WRONLY, 0o644);
    const fd = at(SYS.openat, AT.FDCWD, '/f3', O.ACCMODE, 0)!;
    expect(fd).toBeGreaterThanOrEqual(0);
    const buf = h.alloc(t, 8);
    expect(h.syscall(t, SYS.read, fd, buf, 1)).toBe(-Errno.EBADF);
    expect(h.syscall(t, SYS.write, fd, buf, 1)).toBe(-Errno.EBADF);
    expect(at(SYS.openat, AT.FDCWD, '/dt', O.ACCMODE, 0)).toBe(-Errno.EISDIR);
    expect(at(SYS.openat, AT.FDCWD, '/dt', O.RDONLY | O.DIRECT, 0)).toBe(-Errno.EINVAL);
  });

  it('utimensat: both UTIME_OMIT succeeds without a lookup; a NULL path is EFAULT at AT_FDCWD and EBADF on an O_PATH fd', () => {
    const timespecs = (nsec: number) => {
      const b = new Uint8Array(32);
      const v = new DataView(b.buffer);
      v.setBigInt64(8, BigInt(nsec), true);
      v.setBigInt64(24, BigInt(nsec), true);
      return h.alloc(t, 32, b);
    };
    expect(at(SYS.utimensat, AT.FDCWD, '/does/not/exist', timespecs(UTIME.OMIT), 0)).toBe(0);
    const times = timespecs(0);
    expect(at(SYS.utimensat, AT.FDCWD, '/does/not/exist', times, 0)).toBe(-Errno.ENOENT);
    expect(h.syscall(t, SYS.utimensat, AT.FDCWD, 0, times, 0)).toBe(-Errno.EFAULT);
    at(SYS.openat, AT.FDCWD, '/u', O.CREAT | O.WRONLY, 0o644);
    const pathFd = at(SYS.openat, AT.FDCWD, '/u', O.PATH, 0)!;
    expect(h.syscall(t, SYS.utimensat, pathFd, 0, times, 0)).toBe(-Errno.EBADF);
    expect(h.syscall(t, SYS.futimesat, pathFd, 0, 0)).toBe(-Errno.EBADF);
    const fd = at(SYS.openat, AT.FDCWD, '/u', O.RDONLY, 0)!;
    expect(h.syscall(t, SYS.utimensat, fd, 0, times, 0)).toBe(0);
    expect(h.syscall(t, SYS.utimensat, fd, 0, times, AT.SYMLINK_NOFOLLOW)).toBe(-Errno.EINVAL);
  });

  it('linkat with AT_EMPTY_PATH names an open file for its opener or a holder of CAP_DAC_READ_SEARCH, and is ENOENT for others', () => {
    at(SYS.mkdirat, AT.FDCWD, '/ld', 0o777);
    at(SYS.fchmodat, AT.FDCWD, '/ld', 0o777); // past the umask
    at(SYS.openat, AT.FDCWD, '/ld/src', O.CREAT | O.WRONLY, 0o644);
    const fd = at(SYS.openat, AT.FDCWD, '/ld/src', O.RDONLY, 0)!;
    expect(at(SYS.linkat, fd, '', AT.FDCWD, '/ld/byroot', AT.EMPTY_PATH)).toBe(0);
    expect(h.syscall(t, SYS.setuid, 1000)).toBe(0);
    expect(at(SYS.linkat, fd, '', AT.FDCWD, '/ld/byuser', AT.EMPTY_PATH)).toBe(-Errno.ENOENT);
    // Its own file, opened with the credentials it still has, it may name.
    const own = at(SYS.openat, AT.FDCWD, '/ld/mine', O.CREAT | O.RDWR, 0o600)!;
    expect(at(SYS.linkat, own, '', AT.FDCWD, '/ld/mine2', AT.EMPTY_PATH)).toBe(0);
    expect(at(SYS.faccessat, AT.FDCWD, '/ld/byroot', 0)).toBe(0);
  });

  it('xattr calls: a name past XATTR_NAME_MAX is ERANGE, unknown setxattr flags EINVAL before the name is read, O_PATH fds EBADF', () => {
    at(SYS.openat, AT.FDCWD, '/x', O.CREAT | O.WRONLY, 0o644);
    const long = 'user.' + 'a'.repeat(300);
    expect(at(SYS.setxattr, '/x', long, 0, 0, 0)).toBe(-Errno.ERANGE);
    expect(at(SYS.getxattr, '/x', long, 0, 0)).toBe(-Errno.ERANGE);
    expect(at(SYS.setxattr, '/x', 0, 0, 0, 0xff)).toBe(-Errno.EINVAL);
    expect(at(SYS.setxattr, '/x', 'user.ok', 0, 0, 0)).toBe(0);
    const pathFd = at(SYS.openat, AT.FDCWD, '/x', O.PATH, 0)!;
    expect(at(SYS.fgetxattr, pathFd, 'user.ok', 0, 0)).toBe(-Errno.EBADF);
    expect(at(SYS.fsetxattr, pathFd, 'user.ok', 0, 0, 0)).toBe(-Errno.EBADF);
    expect(h.syscall(t, SYS.flistxattr, pathFd, 0, 0)).toBe(-Errno.EBADF);
  });
});
