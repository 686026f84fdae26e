import { Errno, FS_MAGIC, O, SEEK } from '@tvisor/abi';
import { describe, expect, it } from 'vitest';
import { createDevTmpfs, KernfsFilesystem, type VirtualDentry } from '../src/index.js';
import { errnoOf, freshVfs, text } from './helpers.js';

describe('devices', () => {
  it('provides null, zero, full, random and urandom in a /dev tree', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mkdirAt(ctx, '/dev', 0o755);
    vfs.mount(ctx, '/dev', createDevTmpfs(vfs.devices));
    const open = (p: string, flags: number) => vfs.openAt(ctx, p, { flags });
    const buf = new Uint8Array(4096).fill(9);

    const nul = open('/dev/null', O.RDWR);
    expect(nul.read(buf)).toBe(0);
    expect(nul.write(text('gone'))).toBe(4);
    expect(nul.seek(100, SEEK.SET)).toBe(0);

    const zero = open('/dev/zero', O.RDONLY);
    expect(zero.read(buf)).toBe(4096);
    expect(buf.every((b) => b === 0)).toBe(true);

    const full = open('/dev/full', O.WRONLY);
    expect(errnoOf(() => full.write(text('x')))).toBe(Errno.ENOSPC);

    for (const p of ['/dev/random', '/dev/urandom']) {
      const rnd = open(p, O.RDONLY);
      const big = new Uint8Array(100_000);
      expect(rnd.read(big)).toBe(100_000);
      // 100 kB of CSPRNG output is never all zeros.
      expect(big.some((b) => b !== 0)).toBe(true);
    }
    expect(vfs.readlinkAt(ctx, '/dev/stdin')).toBe('/proc/self/fd/0');
    expect(vfs.statAt(ctx, '/dev/shm').mode & 0o7777).toBe(0o1777);
  });

  it('fails with ENXIO for unregistered device numbers', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mknodAt(ctx, '/weird', 0o020666, 0x4242);
    expect(errnoOf(() => vfs.openAt(ctx, '/weird', { flags: O.RDONLY }))).toBe(Errno.ENXIO);
  });
});

describe('kernfs', () => {
  it('a directory seeks to its end as generic_file_llseek does (procfs and sysfs directories: size 0); SEEK_DATA stays EINVAL, and a procfs file refuses SEEK_END', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mkdirAt(ctx, '/proc', 0o555);
    const proc = new KernfsFilesystem('proc', FS_MAGIC.PROC_SUPER_MAGIC);
    proc.rootDir.add(
      'x',
      proc.file(() => 'x'),
    );
    vfs.mount(ctx, '/proc', proc);
    const dir = vfs.openAt(ctx, '/proc', { flags: O.RDONLY | O.DIRECTORY });
    expect(dir.seek(0, SEEK.END)).toBe(0);
    expect(dir.seek(5, SEEK.END)).toBe(5);
    expect(errnoOf(() => dir.seek(-1, SEEK.END))).toBe(Errno.EINVAL);
    expect(errnoOf(() => dir.seek(0, SEEK.DATA))).toBe(Errno.EINVAL);
    // A procfs file is a seq_file: from the start or the current position only.
    const file = vfs.openAt(ctx, '/proc/x', { flags: O.RDONLY });
    expect(file.seek(1, SEEK.SET)).toBe(1);
    expect(file.seek(0, SEEK.CUR)).toBe(1);
    expect(errnoOf(() => file.seek(0, SEEK.END))).toBe(Errno.EINVAL);
  });

  it('a file open for reading and writing reads back what was written through it (pwrite then pread, as a sysctl)', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mkdirAt(ctx, '/proc', 0o555);
    const proc = new KernfsFilesystem('proc', FS_MAGIC.PROC_SUPER_MAGIC);
    let setting = '1';
    proc.rootDir.add(
      'sack',
      proc.file({
        read: () => setting,
        write: (d) => {
          setting = new TextDecoder().decode(d);
          return d.length;
        },
      }),
    );
    vfs.mount(ctx, '/proc', proc);
    const fd = vfs.openAt(ctx, '/proc/sack', { flags: O.RDWR });
    const b = new Uint8Array(1);
    expect(fd.read(b, 0)).toBe(1);
    expect(b[0]).toBe('1'.charCodeAt(0));
    expect(fd.write(text('0'), 0)).toBe(1);
    expect(fd.read(b, 0)).toBe(1);
    expect(b[0]).toBe('0'.charCodeAt(0));
    fd.decRef();
  });

  it('serves static and dynamic trees, generated files and magic links', () => {
    const { vfs, ctx } = freshVfs();
    vfs.mkdirAt(ctx, '/proc', 0o555);
    vfs.mknodAt(ctx, '/target', 0o100644);
    const proc = new KernfsFilesystem('proc', FS_MAGIC.PROC_SUPER_MAGIC);
    let counter = 0;
    proc.rootDir.add(
      'counter',
      proc.file(() => `${++counter}\n`),
    );
    let setting = 'a';
    proc.rootDir.add(
      'setting',
      proc.file({
        read: () => setting,
        write: (d) => {
          setting = new TextDecoder().decode(d);
          return d.length;
        },
      }),
    );
    const pids = new Map([
      [1, proc.dir()],
      [42, proc.dir()],
    ]);
    const targetVd: { vd: VirtualDentry | null } = { vd: null };
    pids.get(42)!.add('exe', proc.symlink({ target: () => '/target', resolve: () => targetVd.vd }));
    proc.rootDir.add(
      'self',
      proc.symlink(() => 'pids/42'),
    );
    const procRoot = proc.dynamicDir({ list: () => [...pids.keys()].map(String), lookup: (n) => pids.get(Number(n)) ?? null });
    procRoot.fixed.add(
      'counter',
      proc.file(() => 'fixed'),
    );
    proc.rootDir.add('pids', procRoot);
    vfs.mount(ctx, '/proc', proc);

    const read = (p: string) => {
      const fd = vfs.openAt(ctx, p, { flags: O.RDONLY });
      const b = new Uint8Array(100);
      const n = fd.read(b);
      fd.decRef();
      return new TextDecoder().decode(b.subarray(0, n));
    };
    expect(read('/proc/counter')).toBe('1\n');
    expect(read('/proc/counter')).toBe('2\n');
    expect(vfs.statAt(ctx, '/proc/counter').size).toBe(0);
    const w = vfs.openAt(ctx, '/proc/setting', { flags: O.WRONLY });
    w.write(text('b'));
    expect(read('/proc/setting')).toBe('b');
    expect(errnoOf(() => vfs.openAt(ctx, '/proc/counter', { flags: O.WRONLY }))).toBe(Errno.EACCES);
    const dir = vfs.openAt(ctx, '/proc/pids', { flags: O.RDONLY | O.DIRECTORY });
    expect(dir.getdents().map((d) => d.name)).toEqual(['.', '..', 'counter', '1', '42']);
    expect(errnoOf(() => vfs.statAt(ctx, '/proc/pids/7'))).toBe(Errno.ENOENT);
    // The textual link through "self"...
    expect(vfs.statAt(ctx, '/proc/self', 0x100).mode & 0o170000).toBe(0o120000);
    expect(vfs.readlinkAt(ctx, '/proc/self')).toBe('pids/42');
    expect(vfs.readlinkAt(ctx, '/proc/self/exe')).toBe('/target');
    // ...and a magic link, which resolves to the designated file, not its text.
    // Without a magic target the text is followed.
    expect(vfs.statAt(ctx, '/proc/pids/42/exe').ino).toBe(vfs.statAt(ctx, '/target').ino);
    vfs.mknodAt(ctx, '/elsewhere', 0o100644);
    targetVd.vd = vfs.getVd(ctx, '/elsewhere');
    vfs.unlinkAt(ctx, '/elsewhere');
    // A magic link reaches the designated file even after its name is gone.
    expect(vfs.statAt(ctx, '/proc/pids/42/exe').nlink).toBe(0);
    expect(vfs.statAt(ctx, '/proc/self/exe').ino).toBe(targetVd.vd.dentry.inode.stat().ino);
    expect(errnoOf(() => vfs.openAt(ctx, '/proc/pids/42/exe', { flags: O.RDONLY, resolve: 0x02 }))).toBe(Errno.ELOOP);
    expect(errnoOf(() => vfs.mkdirAt(ctx, '/proc/x', 0o755))).toBe(Errno.EPERM);
  });
});
