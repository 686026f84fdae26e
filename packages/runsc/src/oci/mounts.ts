/**
 * The container's mounts from config.json, made in the sandbox's VFS: bind
 * mounts of host directories and files (live: the host's file, not a copy),
 * tmpfs, and the maskedPaths/readonlyPaths runc applies. proc, sysfs, devpts
 * and the like are the sandbox's own.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Errno, O, S, SysError, strerror } from '@tvisor/abi';
import type { MemoryFilePages } from '@tvisor/kernel';
import { HostFilesystem } from '@tvisor/vfs/host';
import { OverlayFilesystem, ROOT_CREDENTIALS, TmpfsFilesystem, type Filesystem, type Inode, type PathContext, type VirtualFilesystem } from '@tvisor/vfs';
import { UserError } from './errors.js';
import { log } from './log.js';
import type { OverlayChoice } from './overlay.js';
import type { Spec } from './spec.js';

function mkdirs(vfs: VirtualFilesystem, ctx: PathContext, path: string): void {
  let at = '';
  for (const part of path.split('/').filter(Boolean)) {
    at += '/' + part;
    try {
      vfs.mkdirAt(ctx, at, 0o755);
    } catch (e) {
      if (!(e instanceof SysError && e.errno === Errno.EEXIST)) throw e;
    }
  }
}

/**
 * A host file bind-mounted on its own (docker's /etc/hosts, /etc/resolv.conf,
 * /etc/hostname): a file system whose root is that one file, reached through
 * a host view of its directory, so reads and writes go to the host file on
 * either side at once.
 */
class HostFileMount implements Filesystem {
  readonly type = 'hostfs';
  private readonly file: Inode;

  constructor(
    private readonly dir: HostFilesystem,
    name: string,
  ) {
    this.file = dir.root().lookup(name);
  }

  get dev(): number {
    return this.dir.dev;
  }

  root(): Inode {
    return this.file;
  }

  statfs() {
    return this.dir.statfs();
  }

  release(): void {
    this.dir.release();
  }
}

/** Creates `path` as an empty regular file (a mount point for a file), unless something is there. */
function mountPointFile(vfs: VirtualFilesystem, ctx: PathContext, path: string): void {
  mkdirs(vfs, ctx, path.slice(0, path.lastIndexOf('/')));
  try {
    vfs.openAt(ctx, path, { flags: O.WRONLY | O.CREAT | O.EXCL, mode: 0o644 }).decRef();
  } catch (e) {
    if (!(e instanceof SysError && e.errno === Errno.EEXIST)) throw e;
  }
}

/** The config's mounts, over the sandbox's own /proc, /dev and /sys (which are never the host's). */
export function applyMounts(vfs: VirtualFilesystem, spec: Spec, overlay: OverlayChoice, pages: MemoryFilePages): void {
  const ctx: PathContext = { ...vfs.context(ROOT_CREDENTIALS), umask: 0 };
  for (const m of spec.mounts ?? []) {
    const dest = m.destination;
    const opts = m.options ?? [];
    const readOnly = opts.includes('ro');
    const bind = m.type === 'bind' || opts.includes('bind') || opts.includes('rbind');
    try {
      if (bind && m.source) {
        const source = realpathSync(m.source);
        if (statSync(source).isDirectory()) {
          mkdirs(vfs, ctx, dest);
          const host = new HostFilesystem({ hostPath: source, readOnly: readOnly || overlay.mounts });
          const top = host.root().stat();
          // all:memory: the bind's writes stay in the sandbox, as the root's do.
          const fs = overlay.mounts
            ? new OverlayFilesystem({ lower: host, upper: new TmpfsFilesystem({ mode: top.mode & 0o7777, uid: top.uid, gid: top.gid, pages }) })
            : host;
          vfs.mount(ctx, dest, fs, { readOnly });
        } else if (overlay.mounts) {
          // all:memory over a file: its content, in the sandbox's memory.
          mountPointFile(vfs, ctx, dest);
          const file = vfs.openAt(ctx, dest, { flags: O.WRONLY | O.TRUNC, mode: 0o644 });
          file.write(readFileSync(source));
          file.decRef();
        } else {
          mountPointFile(vfs, ctx, dest);
          vfs.mount(ctx, dest, new HostFileMount(new HostFilesystem({ hostPath: dirname(source), readOnly }), basename(source)), { readOnly });
        }
      } else if (m.type === 'tmpfs' && dest !== '/dev') {
        const mode = opts.find((o) => o.startsWith('mode='));
        mkdirs(vfs, ctx, dest);
        vfs.mount(ctx, dest, new TmpfsFilesystem({ mode: mode ? parseInt(mode.slice(5), 8) : 0o1777, pages }), { readOnly });
      } else {
        // proc, sysfs, devpts, mqueue, cgroup and /dev: the sandbox's own.
        log('debug', `mount ${dest} (${m.type ?? 'none'}): the sandbox's own`);
      }
    } catch (e) {
      const reason =
        e instanceof SysError ? strerror(e.errno) : (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message;
      throw new UserError(`mount ${m.source ?? m.type ?? ''} on ${dest}: ${reason}`);
    }
  }
}

/** A file system with nothing in it: what a masked directory shows. */
function emptyDirectory(): TmpfsFilesystem {
  return new TmpfsFilesystem({ mode: 0o555 });
}

/**
 * linux.maskedPaths (a directory shows empty, a file reads as empty: runc
 * mounts a read-only tmpfs or /dev/null over them) and linux.readonlyPaths
 * (bind-mounted onto themselves read-only: writes fail with EROFS). A path
 * the sandbox does not have is skipped, as runc does.
 */
export function applyPathRestrictions(vfs: VirtualFilesystem, spec: Spec): void {
  const ctx: PathContext = { ...vfs.context(ROOT_CREDENTIALS), umask: 0 };
  const kind = (path: string): 'dir' | 'file' | undefined => {
    try {
      return (vfs.statAt(ctx, path, 0).mode & S.IFMT) === S.IFDIR ? 'dir' : 'file';
    } catch (e) {
      if (e instanceof SysError && (e.errno === Errno.ENOENT || e.errno === Errno.ENOTDIR)) return undefined;
      throw e;
    }
  };
  const attempt = (what: string, path: string, f: () => void) => {
    try {
      f();
    } catch (e) {
      throw new UserError(`${what} ${path}: ${e instanceof SysError ? strerror(e.errno) : (e as Error).message}`);
    }
  };
  for (const path of spec.linux?.readonlyPaths ?? []) {
    if (!kind(path)) continue;
    // A mount's root is made read-only in place; any other path becomes one (a bind onto itself), as runc does.
    attempt('readonlyPaths', path, () => {
      try {
        vfs.remount(ctx, path, { readOnly: true });
      } catch (e) {
        if (!(e instanceof SysError && e.errno === Errno.EINVAL)) throw e;
        vfs.bindMount(ctx, path, ctx, path, { readOnly: true });
      }
    });
  }
  for (const path of spec.linux?.maskedPaths ?? []) {
    const k = kind(path);
    if (k === 'dir') attempt('maskedPaths', path, () => vfs.mount(ctx, path, emptyDirectory(), { readOnly: true }));
    else if (k === 'file')
      attempt('maskedPaths', path, () =>
        vfs.mount(ctx, path, new HostFileMount(new HostFilesystem({ hostPath: '/dev', readOnly: true }), 'null'), { readOnly: true }),
      );
  }
}
