import { mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Errno, O, RESOLVE } from '@tvisor/abi';
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostFilesystem } from '../src/host.js';
import { ROOT_CREDENTIALS, VirtualFilesystem, type PathContext } from '../src/index.js';
import { openBeneath, openRootDir, close } from '../src/native/host-syscalls.js';
import { errnoOf } from './helpers.js';

// Layout: <base>/secret (outside) and <base>/root (the sandbox root).
describe('host filesystem confinement', () => {
  let base: string;
  let root: string;
  let fs: HostFilesystem;
  let vfs: VirtualFilesystem;
  let ctx: PathContext;

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'vfs-escape-'));
    root = join(base, 'root');
    mkdirSync(join(root, 'd/e'), { recursive: true });
    writeFileSync(join(base, 'secret'), 'outside');
    writeFileSync(join(root, 'inside'), 'inside');
    fs = new HostFilesystem({ hostPath: root });
    vfs = new VirtualFilesystem(fs);
    ctx = vfs.context(ROOT_CREDENTIALS);
  });
  afterEach(() => {
    vfs.dispose();
    rmSync(base, { recursive: true, force: true });
  });

  /** Every host handle the filesystem holds must name a file under the root. */
  function expectAllHandlesInside(): void {
    for (const fd of fs.openHandles()) {
      const p = readlinkSync(`/proc/self/fd/${fd}`);
      expect(p === root || p.startsWith(root + '/'), p).toBe(true);
    }
  }

  it('resolves absolute and relative symlinks inside the sandbox root', () => {
    symlinkSync(join(base, 'secret'), join(root, 'abs'));
    symlinkSync('../secret', join(root, 'rel'));
    symlinkSync('../../../../../../../../secret', join(root, 'd/e/deep'));
    symlinkSync('/', join(root, 'slash'));
    for (const p of ['/abs', '/rel', '/d/e/deep', '/../secret', '/d/../../secret', '/slash/../secret']) {
      expect(
        errnoOf(() => vfs.openAt(ctx, p, { flags: O.RDONLY })),
        p,
      ).toBe(Errno.ENOENT);
    }
    // A relative link that climbs only as far as the root lands on the sandbox's files.
    symlinkSync('../../inside', join(root, 'd/e/ok'));
    expect(vfs.statAt(ctx, '/d/e/ok').size).toBe(6);
    expectAllHandlesInside();
  });

  it('never passes ".." or multi-component paths to the host', () => {
    const rootFd = openRootDir(root);
    try {
      expect(errnoOf(() => close(openBeneath(rootFd, '../secret', O.RDONLY)))).toBe(Errno.EXDEV);
      expect(errnoOf(() => close(openBeneath(rootFd, join(base, 'secret'), O.RDONLY)))).toBe(Errno.EXDEV);
    } finally {
      close(rootFd);
    }
  });

  it('notices a name swapped for an escaping symlink behind its back', () => {
    const fd = vfs.openAt(ctx, '/inside', { flags: O.RDONLY });
    fd.decRef();
    unlinkSync(join(root, 'inside'));
    symlinkSync(join(base, 'secret'), join(root, 'inside'));
    // The cached dentry is revalidated; the new symlink resolves inside the root.
    expect(errnoOf(() => vfs.openAt(ctx, '/inside', { flags: O.RDONLY }))).toBe(Errno.ENOENT);
    expectAllHandlesInside();
  });

  it('keeps ".." inside after a directory is moved out of the root on the host', () => {
    const cwd = vfs.getVd(ctx, '/d/e');
    renameSync(join(root, 'd'), join(base, 'moved'));
    const c = { ...ctx, start: cwd };
    // ".." follows the sandbox's own tree, never the host's parent.
    expect(errnoOf(() => vfs.statAt(c, '../../secret'))).toBe(Errno.ENOENT);
    expect(errnoOf(() => vfs.statAt(c, '../../../../secret'))).toBe(Errno.ENOENT);
    expect(vfs.statAt(c, '../../inside').size).toBe(6);
    // RESOLVE_BENEATH from the moved dir refuses to climb at all.
    expect(errnoOf(() => vfs.openAt(c, '../x', { flags: O.RDONLY, resolve: RESOLVE.BENEATH }))).toBe(Errno.EXDEV);
  });

  it('refuses to reopen a file replaced by a symlink between lookup and open', () => {
    const vd = vfs.getVd(ctx, '/inside');
    unlinkSync(join(root, 'inside'));
    symlinkSync(join(base, 'secret'), join(root, 'inside'));
    // Reopening by name under the parent handle never follows the new link.
    expect(errnoOf(() => vfs.openVd(vd, O.RDONLY, ROOT_CREDENTIALS))).toBe(Errno.ELOOP);
    writeFileSync(join(root, 'other'), 'x');
    unlinkSync(join(root, 'inside'));
    renameSync(join(root, 'other'), join(root, 'inside'));
    // A different file under the old name is not the file the dentry named.
    expect(errnoOf(() => vfs.openVd(vd, O.RDONLY, ROOT_CREDENTIALS))).toBe(Errno.ESTALE);
  });

  it('never reads outside data while the host renames directories in and out concurrently', async () => {
    writeFileSync(join(root, 'd/e/f'), 'inside');
    symlinkSync('../../../secret', join(root, 'd/e/up'));
    // A host process keeps moving d out of the root and back, and swapping a
    // symlink to the outside in for e/f.
    const racer = spawn(
      'sh',
      [
        '-c',
        `cd '${base}' && while :; do mv root/d out; mv out root/d; mv root/d/e/f root/d/e/g; ln -sfn '${base}/secret' root/d/e/f; rm -f root/d/e/f; mv root/d/e/g root/d/e/f; done`,
      ],
      { stdio: 'ignore' },
    );
    try {
      const buf = new Uint8Array(64);
      // Race for 1.5 s, longer on a loaded machine until some opens got through.
      const deadline = Date.now() + 1500;
      const hardDeadline = Date.now() + 20000;
      let reads = 0;
      while (Date.now() < hardDeadline && (Date.now() < deadline || reads === 0)) {
        for (const p of ['/d/e/f', '/d/e/up', '/d/e/../../secret', '/d/../secret', '/d/e/f/../../../../secret']) {
          try {
            const fd = vfs.openAt(ctx, p, { flags: O.RDONLY });
            const n = fd.read(buf);
            fd.decRef();
            reads++;
            expect(new TextDecoder().decode(buf.subarray(0, n)), p).toBe('inside');
          } catch (e) {
            if (!(e instanceof Error && 'errno' in e)) throw e;
          }
        }
        await new Promise((r) => setImmediate(r));
      }
      expect(reads).toBeGreaterThan(0);
    } finally {
      // Wait for the racer to be gone before the directory is removed.
      const exited = new Promise((r) => racer.once('exit', r));
      racer.kill('SIGKILL');
      await exited;
    }
  });

  it('presents host kernel interfaces (/proc, /sys) under the root as empty directories', () => {
    const v = new VirtualFilesystem(new HostFilesystem({ hostPath: '/', readOnly: true }));
    const c = v.context(ROOT_CREDENTIALS);
    for (const dir of ['/proc', '/sys']) {
      expect(v.statAt(c, dir).mode & 0o170000).toBe(0o040000);
      const fd = v.openAt(c, dir, { flags: O.RDONLY | O.DIRECTORY });
      expect(fd.getdents().map((d) => d.name)).toEqual(['.', '..']);
      fd.decRef();
    }
    expect(errnoOf(() => v.openAt(c, '/proc/self/mem', { flags: O.RDONLY }))).toBe(Errno.ENOENT);
    expect(errnoOf(() => v.statAt(c, '/sys/kernel'))).toBe(Errno.ENOENT);
    // Ordinary directories on the root filesystem are unaffected.
    expect(v.statAt(c, '/etc/passwd').size).toBeGreaterThan(0);
    v.dispose();
    const exposed = new VirtualFilesystem(new HostFilesystem({ hostPath: '/', readOnly: true, exposeKernelInterfaces: true }));
    expect(exposed.statAt(exposed.context(ROOT_CREDENTIALS), '/proc/self', 0x100).mode & 0o170000).toBe(0o120000);
    exposed.dispose();
  });
});
