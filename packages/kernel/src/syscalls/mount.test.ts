import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CAP, Errno, MOUNT, SYS, SysError } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { KernelHarness } from '../testing/kernel-harness.js';
import type { Task } from '../task.js';
import { tmpfsOptions } from './mount.js';

const memoryFile = MemoryFile.create('mount-syscalls-test');
afterAll(() => memoryFile.close());
let h: KernelHarness;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
});

function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
  return 0;
}

describe('tmpfs mount options', () => {
  const GiB = 2 ** 30;
  it('parses mode (octal), uid, gid and sizes as tmpfs(5) says', () => {
    expect(tmpfsOptions('', GiB)).toEqual({ mode: 0o1777 });
    expect(tmpfsOptions('mode=0700,uid=5,gid=6', GiB)).toEqual({ mode: 0o700, uid: 5, gid: 6 });
    expect(tmpfsOptions('mode=123', GiB).mode).toBe(0o123);
    // size rounds up to whole pages; suffixes and percentages of memory.
    expect(tmpfsOptions('size=1', GiB).maxBytes).toBe(4096);
    expect(tmpfsOptions('size=4097', GiB).maxBytes).toBe(8192);
    expect(tmpfsOptions('size=2k', GiB).maxBytes).toBe(4096);
    expect(tmpfsOptions('size=3M', GiB).maxBytes).toBe(3 * 2 ** 20);
    expect(tmpfsOptions('size=50%', GiB).maxBytes).toBe(GiB / 2);
    expect(tmpfsOptions('nr_blocks=2', GiB).maxBytes).toBe(8192);
    expect(tmpfsOptions('nr_inodes=10', GiB)).toEqual({ mode: 0o1777 });
  });

  it('refuses options tmpfs does not know and options without a value (EINVAL)', () => {
    for (const bad of ['size', 'size=', 'size=abc', 'mode=9', 'bogus=1', 'uid=-1'])
      expect(
        errnoOf(() => tmpfsOptions(bad, GiB)),
        bad,
      ).toBe(Errno.EINVAL);
  });
});

describe('mount, pivot_root and chroot syscalls', () => {
  const mkdir = (t: Task, p: string) => expect(h.syscall(t, SYS.mkdir, h.cstr(t, p), 0o755), p).toBe(0);
  const tmpfs = (t: Task, p: string, flags = 0, data = '') => h.syscall(t, SYS.mount, 0, h.cstr(t, p), h.cstr(t, 'tmpfs'), flags, data ? h.cstr(t, data) : 0);
  const pathOfRoot = (t: Task) => t.group.fs.vfs.pathOf(t.group.fs.root, t.group.fs.vfs.root()).path;

  it('propagation flags: one at a time, only on a mount root, with the old magic number ignored', () => {
    const t = h.newProcess();
    mkdir(t, '/m');
    expect(tmpfs(t, '/m', MOUNT.MGC_VAL, 'mode=0700')).toBe(0);
    const shared = (p: string, flags: number) => h.syscall(t, SYS.mount, 0, h.cstr(t, p), 0, flags, 0);
    expect(shared('/m', MOUNT.SHARED | MOUNT.PRIVATE)).toBe(-Errno.EINVAL);
    expect(shared('/m', MOUNT.SHARED)).toBe(0);
    mkdir(t, '/m/d');
    expect(shared('/m/d', MOUNT.PRIVATE)).toBe(-Errno.EINVAL);
    expect(tmpfs(t, '/m/d', 0, 'bogus')).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.mount, 0, h.cstr(t, '/m/d'), h.cstr(t, 'nosuchfs'), 0, 0)).toBe(-Errno.ENODEV);
  });

  it('pivot_root swaps the root mount, moves processes rooted at the old root, and checks its arguments', () => {
    const t = h.newProcess();
    const other = h.newProcess();
    mkdir(t, '/r');
    expect(tmpfs(t, '/r')).toBe(0);
    mkdir(t, '/r/new');
    expect(tmpfs(t, '/r/new')).toBe(0);
    mkdir(t, '/r/new/old');
    mkdir(t, '/r/plain');
    mkdir(t, '/r/other');
    expect(tmpfs(t, '/r/other')).toBe(0);
    expect(h.syscall(t, SYS.chroot, h.cstr(t, '/r'))).toBe(0);
    expect(h.syscall(other, SYS.chroot, h.cstr(other, '/r'))).toBe(0);
    // Not a mount point; put_old outside new_root; put_old or new_root on the current root's mount.
    expect(h.syscall(t, SYS.pivot_root, h.cstr(t, '/new/old'), h.cstr(t, '/new/old'))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.pivot_root, h.cstr(t, '/new'), h.cstr(t, '/other'))).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.pivot_root, h.cstr(t, '/new'), h.cstr(t, '/plain'))).toBe(-Errno.EBUSY);
    expect(h.syscall(t, SYS.pivot_root, h.cstr(t, '/'), h.cstr(t, '/new/old'))).toBe(-Errno.EBUSY);
    expect(h.syscall(t, SYS.pivot_root, h.cstr(t, '/new'), h.cstr(t, '/new/old'))).toBe(0);
    expect(pathOfRoot(t)).toBe('/r');
    expect(t.group.fs.root.mount.root).toBe(t.group.fs.root.dentry);
    // The other process, rooted at the old root, moved too; the old root now sits at /old.
    expect(other.group.fs.root).toBe(t.group.fs.root);
    expect(h.syscall(t, SYS.chdir, h.cstr(t, '/old/plain'))).toBe(0);
    const unprivileged = h.newProcess();
    unprivileged.creds.effective &= ~(1n << BigInt(CAP.SYS_ADMIN));
    expect(h.syscall(unprivileged, SYS.pivot_root, h.cstr(unprivileged, '/'), h.cstr(unprivileged, '/'))).toBe(-Errno.EPERM);
  });

  it('chroot needs search permission on the directory (EACCES) before CAP_SYS_CHROOT (EPERM)', () => {
    const t = h.newProcess();
    expect(h.syscall(t, SYS.mkdir, h.cstr(t, '/locked'), 0o666)).toBe(0);
    t.creds.effective &= ~((1n << BigInt(CAP.DAC_OVERRIDE)) | (1n << BigInt(CAP.DAC_READ_SEARCH)));
    expect(h.syscall(t, SYS.chroot, h.cstr(t, '/locked'))).toBe(-Errno.EACCES);
    expect(h.syscall(t, SYS.chroot, h.cstr(t, '/nonexistent'))).toBe(-Errno.ENOENT);
    t.creds.effective &= ~(1n << BigInt(CAP.SYS_CHROOT));
    expect(h.syscall(t, SYS.chroot, h.cstr(t, '/'))).toBe(-Errno.EPERM);
  });
});
