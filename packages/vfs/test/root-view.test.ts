import { existsSync, readFileSync } from 'node:fs';
import { O, POLL, S, SEEK, Stat, Statx } from '@tvisor/abi';
import { describe, expect, it } from 'vitest';
import { HostFilesystem } from '../src/host.js';
import { createDevTmpfs, OverlayFilesystem, ROOT_CREDENTIALS, TmpfsFilesystem, toAbiStat, toAbiStatx, VirtualFilesystem } from '../src/index.js';
import { errnoOf, text } from './helpers.js';

describe('the runsc-do root view: tmpfs overlay over the read-only host root', () => {
  it('reads host files, keeps writes in the upper layer, lists directories and answers getcwd', () => {
    const lower = new HostFilesystem({ hostPath: '/', readOnly: true });
    const vfs = new VirtualFilesystem(new OverlayFilesystem({ lower }));
    const root = vfs.context(ROOT_CREDENTIALS);
    vfs.mount(root, '/dev', createDevTmpfs(vfs.devices));
    const cwd = vfs.resolveDirectory(root, '/etc');
    const ctx = { ...root, start: cwd };

    const fd = vfs.openAt(ctx, 'passwd', { flags: O.RDONLY });
    const buf = new Uint8Array(fd.stat().size);
    expect(fd.read(buf)).toBe(buf.length);
    expect(new TextDecoder().decode(buf)).toBe(readFileSync('/etc/passwd', 'utf8'));
    fd.decRef();

    const name = `tvisor-vfs-test-${process.pid}`;
    const w = vfs.openAt(ctx, name, { flags: O.CREAT | O.WRONLY, mode: 0o644 });
    w.write(text('sandboxed'));
    w.decRef();
    expect(vfs.statAt(ctx, name).size).toBe(9);
    expect(existsSync(`/etc/${name}`)).toBe(false);

    const dir = vfs.openAt(root, '/usr/bin', { flags: O.RDONLY | O.DIRECTORY });
    const names = new Set<string>();
    for (let batch = dir.getdents(64); batch.length > 0; batch = dir.getdents(64)) for (const d of batch) names.add(d.name);
    expect(names.has('env')).toBe(true);
    expect(vfs.pathOf(cwd, vfs.root()).path).toBe('/etc');
    expect(errnoOf(() => vfs.openAt(root, '/dev/null', { flags: O.WRONLY }).decRef())).toBe(0);
    vfs.dispose();
  });
});

describe('stat values for the kernel', () => {
  it('convert to abi Stat and Statx and survive an encode/decode round trip', () => {
    const vfs = new VirtualFilesystem(new TmpfsFilesystem());
    const ctx = vfs.context(ROOT_CREDENTIALS);
    vfs.mknodAt(ctx, '/f', S.IFREG | 0o640);
    const st = vfs.statAt(ctx, '/f');
    const view = new DataView(new ArrayBuffer(256));
    Stat.encode(view, 0, toAbiStat(st));
    const back = Stat.decode(view, 0);
    expect([back.st_mode, Number(back.st_ino), back.st_dev, back.st_mtim]).toEqual([st.mode, st.ino, st.dev, { tv_sec: st.mtime.sec, tv_nsec: st.mtime.nsec }]);
    Statx.encode(view, 0, toAbiStatx(st, 7));
    const x = Statx.decode(view, 0);
    expect([x.stx_mode, Number(x.stx_ino), x.stx_mnt_id, x.stx_btime.tv_sec]).toEqual([st.mode, st.ino, 7, st.btime.sec]);
  });
});

describe('tmpfs limits and readiness', () => {
  it('fails writes with ENOSPC past its size limit, leaving the file unchanged', () => {
    const vfs = new VirtualFilesystem(new TmpfsFilesystem({ maxBytes: 8192 }));
    const ctx = vfs.context(ROOT_CREDENTIALS);
    const fd = vfs.openAt(ctx, '/f', { flags: O.CREAT | O.RDWR, mode: 0o644 });
    expect(fd.write(new Uint8Array(8192))).toBe(8192);
    expect(errnoOf(() => fd.write(new Uint8Array(1)))).toBe(28);
    expect(fd.stat().size).toBe(8192);
    fd.truncate(0);
    expect(fd.write(new Uint8Array(4096), 4096)).toBe(4096);
    expect(fd.seek(0, SEEK.DATA)).toBe(4096);
    expect(fd.seek(0, SEEK.HOLE)).toBe(0);
  });

  it('reports regular files and directories as always ready', () => {
    const vfs = new VirtualFilesystem(new TmpfsFilesystem());
    const ctx = vfs.context(ROOT_CREDENTIALS);
    const fd = vfs.openAt(ctx, '/f', { flags: O.CREAT | O.RDWR, mode: 0o644 });
    expect(fd.readiness(POLL.IN | POLL.OUT | POLL.PRI)).toBe(POLL.IN | POLL.OUT);
    const path = vfs.openAt(ctx, '/f', { flags: O.PATH });
    expect(path.readiness(POLL.IN)).toBe(0);
  });
});
