import { SysError } from '@tvisor/abi';
import { ROOT_CREDENTIALS, TmpfsFilesystem, VirtualFilesystem, type Credentials, type PathContext } from '../src/index.js';

/** The errno `f` throws, or 0 if it returns. */
export function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
  return 0;
}

/** A VFS over a fresh tmpfs root (mode 0755, owned by root) and a root context with umask 022. */
export function freshVfs(): { vfs: VirtualFilesystem; ctx: PathContext } {
  const vfs = new VirtualFilesystem(new TmpfsFilesystem({ mode: 0o755 }));
  return { vfs, ctx: { ...vfs.context(ROOT_CREDENTIALS), umask: 0o022 } };
}

export const user = (uid: number, gid = uid, groups: number[] = []): Credentials => ({ uid, gid, groups });

export const text = (s: string) => new TextEncoder().encode(s);
