import { S } from '@tvisor/abi';
import type { FsRoot } from '@tvisor/kernel';
import { OverlayFilesystem, ROOT_CREDENTIALS, TmpfsFilesystem, VirtualFilesystem, makeDev, type PathContext } from '@tvisor/vfs';
import { HostFilesystem } from '@tvisor/vfs/host';

export interface RootfsOptions {
  /** Host directory shown as the sandbox's `/`. */
  hostRoot: string;
  /** Writes land in memory over the host tree (an overlay); otherwise the root is read-only. */
  overlay: boolean;
}

/** Character devices every container's /dev has: [name, major, minor, mode]. */
const DEVICE_NODES: Array<[string, number, number, number]> = [
  ['null', 1, 3, 0o666],
  ['zero', 1, 5, 0o666],
  ['full', 1, 7, 0o666],
  ['random', 1, 8, 0o666],
  ['urandom', 1, 9, 0o666],
  ['tty', 5, 0, 0o666],
];

/**
 * The sandbox's filesystem, as `runsc do` shows it: the host root through a
 * copy-on-write overlay (writes stay in memory), a fresh /tmp, and /dev,
 * /proc, /sys of the sandbox's own — never the host's, which would leak host
 * state (/proc/self is the sentry!) and host devices.
 */
export function buildRootFilesystem(opts: RootfsOptions): FsRoot {
  const host = new HostFilesystem({ hostPath: opts.hostRoot, readOnly: true });
  const vfs = opts.overlay
    ? new VirtualFilesystem(new OverlayFilesystem({ lower: host }))
    : new VirtualFilesystem(host, { readOnly: true });
  const ctx: PathContext = vfs.context(ROOT_CREDENTIALS);
  mountOver(vfs, ctx, '/tmp', new TmpfsFilesystem({ mode: 0o1777 }));
  if (mountOver(vfs, ctx, '/dev', new TmpfsFilesystem({ mode: 0o755 }))) populateDev(vfs, ctx);
  mountOver(vfs, ctx, '/proc', new TmpfsFilesystem({ mode: 0o555 }), { readOnly: true });
  mountOver(vfs, ctx, '/sys', new TmpfsFilesystem({ mode: 0o555 }), { readOnly: true });
  return { vfs, root: vfs.root() };
}

function mountOver(vfs: VirtualFilesystem, ctx: PathContext, path: string, fs: TmpfsFilesystem, flags = {}): boolean {
  try {
    vfs.mount(ctx, path, fs, flags);
    return true;
  } catch {
    // A root without that directory (a minimal image) simply goes without it.
    return false;
  }
}

/** The standard device nodes and links; opening one reaches the sentry's device, never a host one. */
function populateDev(vfs: VirtualFilesystem, ctx: PathContext): void {
  const c = { ...ctx, umask: 0 };
  for (const [name, major, minor, mode] of DEVICE_NODES) vfs.mknodAt(c, `/dev/${name}`, S.IFCHR | mode, makeDev(major, minor));
  vfs.mkdirAt(c, '/dev/shm', 0o1777);
  vfs.mkdirAt(c, '/dev/pts', 0o755);
  vfs.symlinkAt(c, '/proc/self/fd', '/dev/fd');
  vfs.symlinkAt(c, '/proc/self/fd/0', '/dev/stdin');
  vfs.symlinkAt(c, '/proc/self/fd/1', '/dev/stdout');
  vfs.symlinkAt(c, '/proc/self/fd/2', '/dev/stderr');
}
