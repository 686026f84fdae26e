import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FsRoot } from '@tvisor/kernel';
import { S } from '@tvisor/abi';
import {
  createDevTmpfs,
  makeDev,
  OverlayFilesystem,
  ROOT_CREDENTIALS,
  TmpfsFilesystem,
  VirtualFilesystem,
  type Filesystem,
  type PathContext,
  type TmpfsPageAllocator,
} from '@tvisor/vfs';
import { HostFilesystem } from '@tvisor/vfs/host';

export interface RootfsOptions {
  /** Host directory shown as the sandbox's `/`. */
  hostRoot: string;
  /** Writes land in memory over the host tree (an overlay); otherwise the root is read-only, or written through with `writeThrough`. */
  overlay: boolean;
  /** Without an overlay: writes go to the host tree itself (an OCI root with --overlay2=none). */
  writeThrough?: boolean;
  /** Where the sandbox's tmpfs files keep their pages (the kernel's, so they can be mapped shared). */
  pages?: TmpfsPageAllocator;
}

/**
 * The sandbox's filesystem, as `runsc do` shows it: the host root through a
 * copy-on-write overlay (writes stay in memory), /tmp a fresh tmpfs only
 * when the root's /tmp is empty (gVisor's rule: otherwise it is the root's,
 * behind the same overlay, so `cd /tmp/work && runsc do ./prog` works), and /dev,
 * /proc, /sys of the sandbox's own — never the host's, which would leak host
 * state (/proc/self is the sentry!) and host devices.
 */
export function buildRootFilesystem(opts: RootfsOptions): FsRoot {
  const writable = !opts.overlay && opts.writeThrough === true;
  const host = new HostFilesystem({ hostPath: opts.hostRoot, readOnly: !writable });
  const pages = opts.pages;
  const top = host.root().stat();
  const vfs = opts.overlay
    ? new VirtualFilesystem(new OverlayFilesystem({ lower: host, upper: new TmpfsFilesystem({ mode: top.mode & 0o7777, uid: top.uid, gid: top.gid, pages }) }))
    : new VirtualFilesystem(host, { readOnly: !writable });
  const ctx: PathContext = vfs.context(ROOT_CREDENTIALS);
  if (isEmptyDirectory(join(opts.hostRoot, 'tmp'))) mountOver(vfs, ctx, '/tmp', new TmpfsFilesystem({ mode: 0o1777, pages }));
  if (mountOver(vfs, ctx, '/dev', createDevTmpfs(vfs.devices, true, pages))) {
    // The kernel log device; the kernel registers what backs char 1:11.
    vfs.mknodAt({ ...ctx, umask: 0 }, '/dev/kmsg', S.IFCHR | 0o644, makeDev(1, 11));
    // Terminals: the caller's controlling tty (5:0) and the pty multiplexer (5:2); the kernel's devpts serves both.
    vfs.mknodAt({ ...ctx, umask: 0 }, '/dev/tty', S.IFCHR | 0o666, makeDev(5, 0));
    vfs.mknodAt({ ...ctx, umask: 0 }, '/dev/ptmx', S.IFCHR | 0o666, makeDev(5, 2));
    // TUN/TAP (10:200), as gVisor provides it; making an interface still takes CAP_NET_ADMIN.
    vfs.mkdirAt({ ...ctx, umask: 0 }, '/dev/net', 0o755);
    vfs.mknodAt({ ...ctx, umask: 0 }, '/dev/net/tun', S.IFCHR | 0o666, makeDev(10, 200));
  }
  // /proc and /sys are the kernel's; runDo mounts them once the kernel exists (mountKernelFilesystems).
  return { vfs, root: vfs.root() };
}

/** Mounts the kernel's procfs at /proc, its sysfs at /sys and the cgroup2 view at /sys/fs/cgroup (both read-only, as in a container). */
export function mountKernelFilesystems(root: FsRoot, fss: { proc: Filesystem; sys: Filesystem; cgroup: Filesystem }): void {
  const ctx = root.vfs.context(ROOT_CREDENTIALS);
  mountOver(root.vfs, ctx, '/proc', fss.proc);
  if (mountOver(root.vfs, ctx, '/sys', fss.sys, { readOnly: true })) mountOver(root.vfs, ctx, '/sys/fs/cgroup', fss.cgroup, { readOnly: true });
}

/** Mounts the kernel's devpts at /dev/pts (when the sandbox has a /dev). */
export function mountDevpts(root: FsRoot, devpts: Filesystem): void {
  mountOver(root.vfs, root.vfs.context(ROOT_CREDENTIALS), '/dev/pts', devpts);
}

function mountOver(vfs: VirtualFilesystem, ctx: PathContext, path: string, fs: Filesystem, flags = {}): boolean {
  try {
    vfs.mount(ctx, path, fs, flags);
    return true;
  } catch {
    // A root without that directory (a minimal image) simply goes without it.
    return false;
  }
}

/** Whether `path` is a directory without entries (false when it is missing or unreadable: nothing is mounted over it then). */
function isEmptyDirectory(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch {
    return false;
  }
}
