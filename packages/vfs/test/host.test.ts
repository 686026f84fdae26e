import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostFilesystem } from '../src/host.js';
import { AT, DT, Errno, O, SEEK, SysError } from '../src/abi.js';
import { ROOT_CREDENTIALS, VirtualFilesystem } from '../src/index.js';

function errno(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
  return 0;
}

describe('host filesystem', () => {
  let dir: string;
  let vfs: VirtualFilesystem;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vfs-host-'));
    mkdirSync(join(dir, 'etc'));
    writeFileSync(join(dir, 'etc/hostname'), 'sandbox\n');
    symlinkSync('/etc/hostname', join(dir, 'abs-link'));
    symlinkSync('../../../../../../etc', join(dir, 'etc/up'));
    vfs = new VirtualFilesystem(new HostFilesystem({ hostPath: dir, readOnly: true }), { readOnly: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('opens, reads, preads, seeks and stats', () => {
    const ctx = vfs.context(ROOT_CREDENTIALS);
    const fd = vfs.openAt(ctx, '/etc/hostname', { flags: O.RDONLY });
    const buf = new Uint8Array(64);
    expect(fd.read(buf)).toBe(8);
    expect(new TextDecoder().decode(buf.subarray(0, 8))).toBe('sandbox\n');
    expect(fd.read(buf)).toBe(0);
    expect(fd.read(buf.subarray(0, 3), 4)).toBe(3);
    expect(new TextDecoder().decode(buf.subarray(0, 3))).toBe('box');
    expect(fd.seek(-2, SEEK.END)).toBe(6);
    expect(fd.stat().size).toBe(8);
    fd.decRef();
  });

  it('resolves symlinks inside the sandbox root', () => {
    const ctx = vfs.context(ROOT_CREDENTIALS);
    expect(vfs.statAt(ctx, '/abs-link').size).toBe(8);
    // ../ chains clamp at the sandbox root, so etc/up is the sandbox's /etc.
    expect(vfs.statAt(ctx, '/etc/up/hostname').size).toBe(8);
    expect(vfs.readlinkAt(ctx, '/abs-link')).toBe('/etc/hostname');
    expect(errno(() => vfs.openAt(ctx, '/abs-link', { flags: O.RDONLY | O.NOFOLLOW }))).toBe(Errno.ELOOP);
  });

  it('lists directories with dot entries', () => {
    const ctx = vfs.context(ROOT_CREDENTIALS);
    const fd = vfs.openAt(ctx, '/etc', { flags: O.RDONLY | O.DIRECTORY });
    const ents = fd.getdents();
    expect(ents.map((e) => e.name).sort()).toEqual(['.', '..', 'hostname', 'up']);
    expect(ents.find((e) => e.name === 'up')?.type).toBe(DT.LNK);
    expect(fd.getdents()).toEqual([]);
    fd.decRef();
  });

  it('refuses writes on a read-only host filesystem', () => {
    const ctx = vfs.context(ROOT_CREDENTIALS);
    expect(errno(() => vfs.openAt(ctx, '/etc/hostname', { flags: O.WRONLY }))).toBe(Errno.EROFS);
    expect(errno(() => vfs.mkdirAt(ctx, '/x', 0o755))).toBe(Errno.EROFS);
  });

  it('supports dirfd-relative stat with AT_EMPTY_PATH', () => {
    const ctx = vfs.context(ROOT_CREDENTIALS);
    const d = vfs.openAt(ctx, '/etc', { flags: O.PATH });
    const rel = { ...ctx, start: d.vd };
    expect(vfs.statAt(rel, 'hostname').size).toBe(8);
    expect(vfs.statAt(rel, '', AT.EMPTY_PATH).ino).toBe(vfs.statAt(ctx, '/etc').ino);
    expect(errno(() => vfs.statAt(rel, ''))).toBe(Errno.ENOENT);
  });

  it('bounds its open host handles and reopens evicted ones on demand', () => {
    const many = mkdtempSync(join(tmpdir(), 'vfs-many-'));
    try {
      mkdirSync(join(many, 'sub'));
      for (let i = 0; i < 100; i++) writeFileSync(join(many, 'sub', `f${i}`), 'x'.repeat(i));
      const fs = new HostFilesystem({ hostPath: many, maxHandles: 16 });
      const v = new VirtualFilesystem(fs);
      const ctx = v.context(ROOT_CREDENTIALS);
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 100; i++) expect(v.statAt(ctx, `/sub/f${i}`).size).toBe(i);
      }
      expect(fs.openHandles().length).toBeLessThanOrEqual(17);
      // An evicted inode whose name now refers to another file is stale.
      const vd = v.getVd(ctx, '/sub/f1');
      for (let i = 2; i < 40; i++) v.statAt(ctx, `/sub/f${i}`);
      rmSync(join(many, 'sub', 'f1'));
      writeFileSync(join(many, 'sub', 'f1'), 'new');
      expect(errno(() => vd.dentry.inode.stat())).toBe(Errno.ESTALE);
      v.dispose();
    } finally {
      rmSync(many, { recursive: true, force: true });
    }
  });
});

describe('host filesystem hard links', () => {
  it('keeps a file reachable through a new link after the old name is removed', () => {
    const d = mkdtempSync(join(tmpdir(), 'vfs-link-'));
    try {
      const v = new VirtualFilesystem(new HostFilesystem({ hostPath: d }));
      const ctx = v.context(ROOT_CREDENTIALS);
      v.openAt(ctx, '/b', { flags: O.CREAT | O.WRONLY, mode: 0o644 }).decRef();
      v.linkAt(ctx, '/b', ctx, '/a');
      v.unlinkAt(ctx, '/b');
      const fd = v.openAt(ctx, '/a', { flags: O.RDONLY });
      expect(fd.stat().nlink).toBe(1);
      fd.decRef();
      v.dispose();
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
